import { counter, gauge, histogram, type Registry } from "@sensorstream/runtime";

export type AlarmMetrics = ReturnType<typeof alarmMetrics>;

export function alarmMetrics(registry: Registry) {
  return {
    evaluations: counter(registry, {
      name: "sensorstream_alarms_evaluations_total",
      help: "Readings evaluated against a rule (one per reading, metric and rule in scope)",
    }),
    readings: counter(registry, {
      name: "sensorstream_alarms_readings_total",
      help: "Readings the alarm service received on alarms.input",
    }),
    raised: counter(registry, {
      name: "sensorstream_alarms_raised_total",
      help: "Alarms raised, by severity",
      labelNames: ["severity"],
    }),
    cleared: counter(registry, {
      name: "sensorstream_alarms_cleared_total",
      help: "Alarms cleared (value back past the clear threshold, data returned, sensor asleep), by severity",
      labelNames: ["severity"],
    }),
    open: gauge(registry, {
      name: "sensorstream_alarms_open",
      help: "Alarms raised or acknowledged and not cleared yet, by severity (refreshed every few seconds)",
      labelNames: ["severity"],
    }),
    rules: gauge(registry, {
      name: "sensorstream_alarms_rules",
      help: "Enabled rules this replica evaluates",
    }),
    lagSeconds: histogram(registry, {
      name: "sensorstream_alarms_evaluation_lag_seconds",
      help: "From the gateway receiving a reading to its evaluation being committed",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    }),
    published: counter(registry, {
      name: "sensorstream_alarms_alerts_published_total",
      help: "Alerts published on sensor_<id>.alarms.trigger (raised, acknowledged, cleared)",
    }),
  };
}

/** Counts the raises and clears among alerts just committed (acknowledgements are the API's). */
export function countAlerts(metrics: AlarmMetrics, alerts: readonly { state: string; severity: string }[]): void {
  for (const a of alerts) {
    if (a.state === "raised") metrics.raised.inc({ severity: a.severity });
    else if (a.state === "cleared") metrics.cleared.inc({ severity: a.severity });
  }
}
