import { counter, gauge, histogram, LATENCY_BUCKETS, type Registry } from "@sensorstream/runtime";

export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;

export function gatewayMetrics(registry: Registry) {
  return {
    messages: counter(registry, {
      name: "sensorstream_gateway_messages_total",
      help: "Device publishes by kind and outcome (ok: on the bus; invalid: dead-lettered; transient: bus unavailable, not acknowledged)",
      labelNames: ["kind", "outcome"],
    }),
    rejected: counter(registry, {
      name: "sensorstream_gateway_rejected_total",
      help: "Device publishes refused at the edge, by reason",
      labelNames: ["reason"],
    }),
    readings: counter(registry, {
      name: "sensorstream_gateway_readings_total",
      help: "Readings forwarded to the bus",
    }),
    bytes: counter(registry, {
      name: "sensorstream_gateway_received_bytes_total",
      help: "Payload bytes received from devices",
    }),
    clients: gauge(registry, { name: "sensorstream_gateway_clients", help: "Connected MQTT clients" }),
    auth: counter(registry, {
      name: "sensorstream_gateway_connects_total",
      help: "MQTT connection attempts by outcome (ok, open, bad_credentials, not_authorized, rate_limited, too_many_connections, error)",
      labelNames: ["outcome"],
    }),
    refused: counter(registry, {
      name: "sensorstream_gateway_refused_total",
      help: "Publishes and subscriptions refused because the client may not use that topic",
      labelNames: ["action"],
    }),
    events: counter(registry, {
      name: "sensorstream_gateway_events_total",
      help: "Events the gateway reports to the registry (connection, activity) by outcome",
      labelNames: ["event", "outcome"],
    }),
    bridgeSeconds: histogram(registry, {
      name: "sensorstream_gateway_bridge_seconds",
      help: "Time from receiving a device publish to RabbitMQ's confirm (the PUBACK waits for it)",
      buckets: LATENCY_BUCKETS,
    }),
  };
}
