import { counter, histogram, LATENCY_BUCKETS, type Registry } from "@sensorstream/runtime";

/** The metrics every consumer of the pipeline has, labelled by consumer name. */
export function pipelineMetrics(registry: Registry) {
  return {
    messages: counter(registry, {
      name: "sensorstream_consumer_messages_total",
      help: "Messages taken by a consumer, by outcome (ok; invalid, permanent: dead-lettered; transient: failed and retried)",
      labelNames: ["consumer", "outcome"],
    }),
    seconds: histogram(registry, {
      name: "sensorstream_consumer_handling_seconds",
      help: "Time one handler call took (one message, or one batch for a batch handler)",
      labelNames: ["consumer"],
      buckets: LATENCY_BUCKETS,
    }),
  };
}
export type PipelineMetrics = ReturnType<typeof pipelineMetrics>;
