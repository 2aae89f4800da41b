import { counter, histogram, LATENCY_BUCKETS, type Registry } from "@sensorstream/runtime";

/** What only the measurement ingester knows; batch, row and outcome counters come from the shared batch consumer. */
export function measurementMetrics(registry: Registry) {
  return {
    readings: counter(registry, {
      name: "sensorstream_ingester_readings_total",
      help: "Readings committed (a reading is one timestamp of one sensor, with one or more metrics)",
    }),
    e2eSeconds: histogram(registry, {
      name: "sensorstream_ingester_e2e_latency_seconds",
      help: "From a reading's timestamp to its row being committed",
      buckets: LATENCY_BUCKETS,
    }),
    announced: counter(registry, {
      name: "sensorstream_ingester_live_announcements_total",
      help: "Committed batches announced to the live stream (readings.committed), by outcome (failed: left out of the live view, still stored)",
      labelNames: ["outcome"],
    }),
    // The name is older than the one-statement write (it was a staging-table rewrite); kept for the dashboards.
    rewritten: counter(registry, {
      name: "sensorstream_ingester_staged_batches_total",
      help: "Batches whose plain INSERT hit a stored row (a replay) and were written again with ON CONFLICT DO NOTHING",
    }),
  };
}
