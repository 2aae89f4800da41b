import { QUEUES, readingsParser } from "@sensorstream/bus";
import { microsOf } from "@sensorstream/contracts";
import { type IngesterSettings as Common, type Ingester, type IngesterDeps, startIngester } from "@sensorstream/ingest";
import { announceCommitted } from "./adapters/announce.js";
import { measurementMetrics } from "./adapters/metrics.js";
import { PgMeasurementStore } from "./adapters/pg-store.js";
import { rowCount } from "./core/rows.js";

export type IngesterSettings = Common & {
  RETENTION_DAYS: number;
  STORAGE_CHUNK_HOURS: number;
  STORAGE_REPLAY_WINDOW_HOURS: number;
  AGGREGATE_REFRESH_SECONDS: number;
  BATCH_CONCURRENCY: number;
};

/**
 * Consumes `measurements` (the gateways' readings.bridged: one message per gateway turn, each data message in it a
 * part of its own), writes readings in batches, acks after commit. Replicas compete on the
 * same queue; replays are harmless because every row is keyed by (sensor_id, metric, time).
 */
export async function startMeasurementIngester(config: IngesterSettings, deps: IngesterDeps): Promise<Ingester> {
  const clock = deps.clock ?? Date.now;
  const metrics = measurementMetrics(deps.registry);
  return startIngester(config, deps, {
    service: "measurement-ingester",
    queue: QUEUES.measurements,
    consumer: "measurements",
    retention: { tables: ["measurements", "positions"], days: config.RETENTION_DAYS },
    // readings.bridged, one part per data message (docs/bus.md); or a single data message left from before.
    parse: readingsParser,
    size: rowCount,
    store: (pool) => new PgMeasurementStore(pool, { onRewritten: () => metrics.rewritten.inc() }),
    storage: {
      tables: ["measurements", "positions"],
      chunkHours: config.STORAGE_CHUNK_HOURS,
      replayWindowHours: config.STORAGE_REPLAY_WINDOW_HOURS,
      aggregates: ["measurements_1m", "measurements_1h"],
      aggregateRefreshSeconds: config.AGGREGATE_REFRESH_SECONDS,
    },
    purge: {
      queue: QUEUES.measurementsPurge,
      tables: ["measurements", "positions", "measurements_latest"],
      aggregates: { measurements: ["measurements_1m", "measurements_1h"] },
    },
    onWritten(messages, _result, bus) {
      announceCommitted(bus, messages, metrics.announced);
      const now = clock();
      let readings = 0;
      for (const m of messages) {
        readings += m.readings.length;
        for (const r of m.readings) metrics.e2eSeconds.observe(Math.max(0, now - microsOf(r.time) / 1000) / 1000);
      }
      metrics.readings.inc(readings);
    },
  });
}
