import {
  type BatchStore,
  type Bus,
  type Delivery,
  openBus,
  type Parsed,
  type QueueSpec,
  startBatchConsumer,
  type WriteCounts,
} from "@sensorstream/bus";
import {
  applyStorage,
  createPool,
  migrateWhenReachable,
  type Pool,
  type StorageSettings,
  startRetention,
  type TimescaleMode,
} from "@sensorstream/db";
import type { Health, Logger, Registry } from "@sensorstream/runtime";
import { type PurgeSpec, startPurgeConsumer } from "./purge-consumer.js";

/** What every ingester reads from the environment (see .env.example). */
export type IngesterSettings = {
  AMQP_URL: string;
  DATABASE_URL: string;
  TIMESCALEDB: TimescaleMode;
  PREFETCH: number;
  BATCH_MAX_ROWS: number;
  BATCH_FLUSH_MS: number;
  DB_POOL_SIZE: number;
  /** Batches written at once, each on its own pooled connection (default 1). */
  BATCH_CONCURRENCY?: number;
};
export type IngesterDeps = { logger: Logger; registry: Registry; health: Health; clock?: () => number; name?: string };
export type Ingester = { stop(): Promise<void> };

/** What makes one ingester different from another: its queue, its tables and how it reads and writes. */
export type IngesterSpec<T, R extends WriteCounts> = {
  /** The service name: PostgreSQL application name, AMQP connection name, prefix of its readiness checks. */
  service: string;
  queue: QueueSpec;
  /** The `ingester` label of the shared metrics and the x-source of its dead letters. */
  consumer: string;
  retention: { tables: readonly string[]; days: number };
  parse: (d: Delivery) => Parsed<T>;
  size: (message: T) => number;
  store: (pool: Pool) => BatchStore<T, R>;
  /** After a batch committed; `bus` is the ingester's own (e.g. to announce the batch, without awaiting it). */
  onWritten?: (messages: readonly T[], result: R, bus: Bus) => void;
  /** The ingester's share of deleting a sensor's data (its own tables only). */
  purge?: PurgeSpec;
  /** TimescaleDB settings of its hypertables, applied at startup (chunks, compression, aggregate refresh). */
  storage?: StorageSettings;
};

/**
 * The life of an ingester: schema ready (waiting for the database), retention in force, then the
 * shared batch consumer on its queue; stop() drains in the reverse order.
 */
export async function startIngester<T, R extends WriteCounts>(
  config: IngesterSettings,
  deps: IngesterDeps,
  spec: IngesterSpec<T, R>,
): Promise<Ingester> {
  const { logger, registry, health } = deps;
  const check = spec.service.replaceAll("-", "_");
  const pool = createPool({
    url: config.DATABASE_URL,
    logger,
    max: config.DB_POOL_SIZE,
    applicationName: spec.service,
  });
  let dbOk = false;
  health.register(`${check}_database`, () => dbOk);
  const flavor = await migrateWhenReachable(pool, config.TIMESCALEDB, logger);
  dbOk = true;
  if (spec.storage) await applyStorage(pool, flavor, spec.storage, logger);
  const retention = await startRetention({
    pool,
    flavor,
    tables: spec.retention.tables,
    days: spec.retention.days,
    logger,
    registry,
  });

  const bus = openBus({ url: config.AMQP_URL, name: deps.name ?? spec.service, logger, registry });
  const consumer = await startBatchConsumer({
    bus,
    queue: spec.queue,
    name: spec.consumer,
    logger,
    registry,
    prefetch: config.PREFETCH,
    maxRows: config.BATCH_MAX_ROWS,
    flushMs: config.BATCH_FLUSH_MS,
    ...(config.BATCH_CONCURRENCY === undefined ? {} : { concurrency: config.BATCH_CONCURRENCY }),
    parse: spec.parse,
    size: spec.size,
    store: spec.store(pool),
    onStoreHealth: (ok) => {
      dbOk = ok;
    },
    ...(spec.onWritten ? { onWritten: (m: readonly T[], r: R) => spec.onWritten?.(m, r, bus) } : {}),
  });
  const purge = spec.purge
    ? await startPurgeConsumer({
        bus,
        pool,
        flavor,
        spec: spec.purge,
        name: `${spec.consumer}-purge`,
        batchRows: config.BATCH_MAX_ROWS,
        logger,
        registry,
      })
    : undefined;
  bus.start();
  health.register(`${check}_bus`, () => consumer.ready && (purge?.ready ?? true));

  return {
    async stop() {
      await retention.stop();
      await purge?.stop();
      await consumer.stop();
      await bus.close();
      await pool.end();
    },
  };
}
