import { BusConnection, type Delivery, type Parsed, QUEUES, startBatchConsumer } from "@sensorstream/bus";
import { type LogMessage, logMessageSchema, parseBusMessage } from "@sensorstream/contracts";
import { createPool, migrateWhenReachable, startRetention } from "@sensorstream/db";
import type { Ingester, IngesterSettings } from "@sensorstream/measurement-ingester";
import type { Health, Logger, Registry } from "@sensorstream/runtime";
import { logMetrics } from "./adapters/metrics.js";
import { PgLogStore } from "./adapters/pg-store.js";
import { lineCount, linesByLevel } from "./core/rows.js";

export type LogIngesterSettings = Omit<IngesterSettings, "RETENTION_DAYS"> & { LOG_RETENTION_DAYS: number };
export type LogIngesterDeps = { logger: Logger; registry: Registry; health: Health; name?: string };
export type LogIngester = Ingester;

const NAME = "log-ingester";

/**
 * Consumes `logs`, writes log lines in batches, acks after commit. Replicas compete on the same
 * queue; replays are harmless because every line is keyed by (sensor_id, time, level, md5(msg)).
 */
export async function startLogIngester(config: LogIngesterSettings, deps: LogIngesterDeps): Promise<LogIngester> {
  const { logger, registry, health } = deps;
  const metrics = logMetrics(registry);
  const pool = createPool({ url: config.DATABASE_URL, logger, max: config.DB_POOL_SIZE, applicationName: NAME });
  let dbOk = false;
  health.register("log_ingester_database", () => dbOk);
  const flavor = await migrateWhenReachable(pool, config.TIMESCALEDB, logger);
  dbOk = true;
  const retention = await startRetention({
    pool,
    flavor,
    tables: ["sensor_logs"],
    days: config.LOG_RETENTION_DAYS,
    logger,
    registry,
  });

  const bus = new BusConnection({ url: config.AMQP_URL, name: deps.name ?? NAME, logger, registry });
  const consumer = await startBatchConsumer({
    bus,
    queue: QUEUES.logs,
    name: "logs",
    logger,
    registry,
    prefetch: config.PREFETCH,
    maxRows: config.BATCH_MAX_ROWS,
    flushMs: config.BATCH_FLUSH_MS,
    parse: parseLogDelivery,
    size: lineCount,
    store: new PgLogStore(pool),
    onStoreHealth: (ok) => {
      dbOk = ok;
    },
    onWritten(messages) {
      for (const [level, n] of linesByLevel(messages)) metrics.lines.inc({ level }, n);
    },
  });
  bus.start();
  health.register("log_ingester_bus", () => consumer.ready);

  return {
    async stop() {
      await retention.stop();
      await consumer.stop();
      await bus.close();
      await pool.end();
    },
  };
}

export const parseLogDelivery = (d: Delivery): Parsed<LogMessage> =>
  parseBusMessage(logMessageSchema, d.content, d.routingKey);
