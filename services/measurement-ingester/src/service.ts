import { BusConnection, type Delivery, type Parsed, QUEUES, startBatchConsumer } from "@sensorstream/bus";
import {
  describeIssues,
  type MeasurementMessage,
  measurementMessageSchema,
  microsOf,
  sensorIdFromRoutingKey,
} from "@sensorstream/contracts";
import { createPool, migrateWhenReachable, startRetention, type TimescaleMode } from "@sensorstream/db";
import type { Health, Logger, Registry } from "@sensorstream/runtime";
import { measurementMetrics } from "./adapters/metrics.js";
import { PgMeasurementStore } from "./adapters/pg-store.js";
import { rowCount } from "./core/rows.js";

export type IngesterSettings = {
  AMQP_URL: string;
  DATABASE_URL: string;
  TIMESCALEDB: TimescaleMode;
  PREFETCH: number;
  BATCH_MAX_ROWS: number;
  BATCH_FLUSH_MS: number;
  DB_POOL_SIZE: number;
  RETENTION_DAYS: number;
};
export type IngesterDeps = { logger: Logger; registry: Registry; health: Health; clock?: () => number; name?: string };
export type Ingester = { stop(): Promise<void> };

const NAME = "measurement-ingester";

/**
 * Consumes `measurements`, writes readings in batches, acks after commit. Replicas compete on the
 * same queue; replays are harmless because every row is keyed by (sensor_id, metric, time).
 */
export async function startMeasurementIngester(config: IngesterSettings, deps: IngesterDeps): Promise<Ingester> {
  const { logger, registry, health } = deps;
  const clock = deps.clock ?? Date.now;
  const metrics = measurementMetrics(registry);
  const pool = createPool({ url: config.DATABASE_URL, logger, max: config.DB_POOL_SIZE, applicationName: NAME });
  let dbOk = false;
  health.register("measurement_ingester_database", () => dbOk);
  const flavor = await migrateWhenReachable(pool, config.TIMESCALEDB, logger);
  dbOk = true;
  const retention = await startRetention({
    pool,
    flavor,
    tables: ["measurements", "positions"],
    days: config.RETENTION_DAYS,
    logger,
    registry,
  });

  const bus = new BusConnection({ url: config.AMQP_URL, name: deps.name ?? NAME, logger, registry });
  const consumer = await startBatchConsumer({
    bus,
    queue: QUEUES.measurements,
    name: "measurements",
    logger,
    registry,
    prefetch: config.PREFETCH,
    maxRows: config.BATCH_MAX_ROWS,
    flushMs: config.BATCH_FLUSH_MS,
    parse: parseMeasurementDelivery,
    size: rowCount,
    store: new PgMeasurementStore(pool),
    onStoreHealth: (ok) => {
      dbOk = ok;
    },
    onWritten(messages) {
      const now = clock();
      let readings = 0;
      for (const m of messages) {
        readings += m.readings.length;
        for (const r of m.readings) metrics.e2eSeconds.observe(Math.max(0, now - microsOf(r.time) / 1000) / 1000);
      }
      metrics.readings.inc(readings);
    },
  });
  bus.start();
  health.register("measurement_ingester_bus", () => consumer.ready);

  return {
    async stop() {
      await retention.stop();
      await consumer.stop();
      await bus.close();
      await pool.end();
    },
  };
}

export function parseMeasurementDelivery(d: Delivery): Parsed<MeasurementMessage> {
  let json: unknown;
  try {
    json = JSON.parse(d.content.toString("utf8"));
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const r = measurementMessageSchema.safeParse(json);
  if (!r.success) return { ok: false, error: describeIssues(r.error.issues) };
  const fromKey = sensorIdFromRoutingKey(d.routingKey);
  if (fromKey !== r.data.sensor_id) {
    return { ok: false, error: `routing key ${d.routingKey} does not match sensor_id ${r.data.sensor_id}` };
  }
  return { ok: true, message: r.data };
}
