import { type Bus, QUEUES, readingsParser, startConsumer } from "@sensorstream/bus";
import { type MeasurementMessage, microsOf } from "@sensorstream/contracts";
import { isPermanentDataError } from "@sensorstream/db";
import type { Logger, Registry } from "@sensorstream/runtime";
import type { Inbound } from "./core/gather.js";
import { type BatchDeps, evaluateBatch } from "./handlers/evaluate-batch.js";
import { type AlarmMetrics, countAlerts } from "./metrics.js";

/**
 * alarms.input on the bus pipeline, in batches: one transaction per batch keeps 100 rules at the ingesters' load
 * cheap (the state of every (rule, sensor) the batch touches is read and written in a handful of statements).
 */
export function startAlarmConsumer(o: {
  bus: Bus;
  deps: BatchDeps;
  batch: { prefetch: number; maxRows: number; flushMs: number };
  metrics: AlarmMetrics;
  logger: Logger;
  registry: Registry;
  clock: () => number;
  /** Called after a batch committed (publish its alerts). */
  onAlerts: (count: number) => void;
  onDatabase: (ok: boolean) => void;
}) {
  return startConsumer<MeasurementMessage>({
    bus: o.bus,
    name: "alarms",
    queue: QUEUES.alarmsInput,
    // readings.bridged, one part per data message (docs/bus.md); or a single data message left from before.
    parse: readingsParser,
    prefetch: o.batch.prefetch,
    batch: {
      maxSize: o.batch.maxRows,
      flushMs: o.batch.flushMs,
      size: (m) => m.readings.length,
    },
    logger: o.logger,
    registry: o.registry,
    isPermanent: isPermanentDataError,
    async handleBatch(batch) {
      const inbound: Inbound[] = batch.map(({ body: m }) => ({
        sensorId: m.sensor_id,
        receivedUs: microsOf(m.received_at),
        readings: m.readings.map((r) => ({ us: microsOf(r.time), values: r.values })),
      }));
      const { alerts, evaluations } = await evaluateBatch(inbound, o.deps);
      const now = o.clock();
      let readings = 0;
      for (const m of inbound) {
        readings += m.readings.length;
        o.metrics.lagSeconds.observe(Math.max(0, now - m.receivedUs / 1000) / 1000);
      }
      o.metrics.readings.inc(readings);
      o.metrics.evaluations.inc(evaluations);
      countAlerts(o.metrics, alerts);
      if (alerts.length) o.onAlerts(alerts.length);
      return undefined;
    },
    observe: {
      onHandled: () => o.onDatabase(true),
      onTransient: (err, attempt) => {
        o.onDatabase(false);
        o.logger.warn({ err, attempt }, "alarm evaluation failed; retrying");
      },
    },
  });
}
