import { counter, gauge, histogram, LATENCY_BUCKETS, type Registry } from "@sensorstream/runtime";

export type RegistryMetrics = ReturnType<typeof registryMetrics>;

export function registryMetrics(registry: Registry) {
  return {
    events: counter(registry, {
      name: "sensorstream_registry_events_total",
      help: "Events applied by the registry, by kind and outcome (applied, stale, unknown_sensor, invalid)",
      labelNames: ["kind", "outcome"],
    }),
    transitions: counter(registry, {
      name: "sensorstream_registry_presence_transitions_total",
      help: "Presence transitions, by new state",
      labelNames: ["state"],
    }),
    batchSeconds: histogram(registry, {
      name: "sensorstream_registry_batch_seconds",
      help: "Time to apply and commit one batch of registry messages",
      buckets: LATENCY_BUCKETS,
    }),
    batchMessages: histogram(registry, {
      name: "sensorstream_registry_batch_messages",
      help: "Messages per applied batch",
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
    }),
    lag: gauge(registry, {
      name: "sensorstream_registry_lag_seconds",
      help: "How far behind its queue the registry was at its last batch (commit time minus the newest receive time)",
    }),
  };
}
