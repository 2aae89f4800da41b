import { contractParser, QUEUES } from "@sensorstream/bus";
import { logMessageSchema } from "@sensorstream/contracts";
import { type Ingester, type IngesterSettings, startIngester } from "@sensorstream/ingest";
import type { Health, Logger, Registry } from "@sensorstream/runtime";
import { logMetrics } from "./adapters/metrics.js";
import { PgLogStore } from "./adapters/pg-store.js";
import { lineCount, linesByLevel } from "./core/rows.js";

export type LogIngesterSettings = Omit<IngesterSettings, "RETENTION_DAYS"> & { LOG_RETENTION_DAYS: number };
export type LogIngesterDeps = { logger: Logger; registry: Registry; health: Health; name?: string };
export type LogIngester = Ingester;

/**
 * Consumes `logs`, writes log lines in batches, acks after commit. Replicas compete on the same
 * queue; replays are harmless because every line is keyed by (sensor_id, time, level, md5(msg)).
 */
export async function startLogIngester(config: LogIngesterSettings, deps: LogIngesterDeps): Promise<LogIngester> {
  const metrics = logMetrics(deps.registry);
  return startIngester(config, deps, {
    service: "log-ingester",
    queue: QUEUES.logs,
    consumer: "logs",
    retention: { tables: ["sensor_logs"], days: config.LOG_RETENTION_DAYS },
    parse: parseLogDelivery,
    size: lineCount,
    store: (pool) => new PgLogStore(pool),
    purge: { queue: QUEUES.logsPurge, tables: ["sensor_logs"] },
    onWritten(messages) {
      for (const [level, n] of linesByLevel(messages)) metrics.lines.inc({ level }, n);
    },
  });
}

export const parseLogDelivery = contractParser(logMessageSchema);
