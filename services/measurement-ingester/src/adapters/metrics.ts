import { counter, gauge, histogram, LATENCY_BUCKETS, type Registry } from "@sensorstream/runtime";

export type IngesterMetrics = ReturnType<typeof ingesterMetrics>;

export function ingesterMetrics(registry: Registry) {
  return {
    messages: counter(registry, {
      name: "sensorstream_ingester_messages_total",
      help: "Measurement messages settled, by outcome (ok: committed; invalid/permanent: dead-lettered)",
      labelNames: ["outcome"],
    }),
    rows: counter(registry, {
      name: "sensorstream_ingester_rows_total",
      help: "Rows offered to the database, by table and outcome (inserted, duplicate: already stored)",
      labelNames: ["table", "outcome"],
    }),
    readings: counter(registry, {
      name: "sensorstream_ingester_readings_total",
      help: "Readings committed (a reading is one timestamp of one sensor, with one or more metrics)",
    }),
    batchSeconds: histogram(registry, {
      name: "sensorstream_ingester_batch_write_seconds",
      help: "Time to write and commit one batch",
      buckets: LATENCY_BUCKETS,
    }),
    batchRows: histogram(registry, {
      name: "sensorstream_ingester_batch_rows",
      help: "Rows per committed batch",
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000],
    }),
    e2eSeconds: histogram(registry, {
      name: "sensorstream_ingester_e2e_latency_seconds",
      help: "From a reading's timestamp to its row being committed",
      buckets: LATENCY_BUCKETS,
    }),
    transientErrors: counter(registry, {
      name: "sensorstream_ingester_transient_errors_total",
      help: "Batch writes that failed for a transient reason (database unavailable) and were retried",
    }),
    pending: gauge(registry, {
      name: "sensorstream_ingester_pending_messages",
      help: "Messages received and not yet settled",
    }),
  };
}
