import { logEntrySchema } from "@sensorstream/contracts";
import { counter, type Registry } from "@sensorstream/runtime";

/** What only the log ingester knows; batch, row and outcome counters come from the shared batch consumer. */
export function logMetrics(registry: Registry) {
  const lines = counter(registry, {
    name: "sensorstream_ingester_log_lines_total",
    help: "Log lines committed (replays included), by level",
    labelNames: ["level"],
  });
  // Every level exported from the start, so a first error line is a visible increase from 0.
  for (const level of logEntrySchema.shape.level.options) lines.inc({ level }, 0);
  return { lines };
}
