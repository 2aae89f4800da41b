import { counter, histogram, type Registry } from "@sensorstream/runtime";

export type CommandMetrics = ReturnType<typeof commandMetrics>;

export function commandMetrics(registry: Registry) {
  return {
    settled: counter(registry, {
      name: "sensorstream_commands_settled_total",
      help: "Commands that reached a final state, by name and state (acked, failed, expired)",
      labelNames: ["name", "state"],
    }),
    sent: counter(registry, {
      name: "sensorstream_commands_sent_total",
      help: "Commands a gateway reported handed to the sensor's live connection, by name",
      labelNames: ["name"],
    }),
    resent: counter(registry, {
      name: "sensorstream_commands_resent_total",
      help: "Pending commands published again because their sensor came back (presence)",
    }),
    converge: counter(registry, {
      name: "sensorstream_commands_converge_total",
      help: "Commands issued by the command service itself for a sensor back online with a stale mode or rate, by name",
      labelNames: ["name"],
    }),
    badAcks: counter(registry, {
      name: "sensorstream_commands_bad_acks_total",
      help: "Acks that changed nothing, by reason (unknown_command, other_sensor, duplicate, malformed)",
      labelNames: ["reason"],
    }),
    ackSeconds: histogram(registry, {
      name: "sensorstream_commands_ack_seconds",
      help: "Time from a command's issue to its ack (ok or error), by name",
      labelNames: ["name"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    }),
  };
}
