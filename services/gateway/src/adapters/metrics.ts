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
      help: "MQTT CONNECTs by outcome (ok, open, bad_credentials, unknown_sensor, client_id_mismatch, rate_limited, too_many_connections, error)",
      labelNames: ["outcome"],
    }),
    pending: gauge(registry, {
      name: "sensorstream_gateway_pending_connections",
      help: "Connections accepted that have not completed CONNECT yet",
    }),
    dropped: counter(registry, {
      name: "sensorstream_gateway_dropped_connections_total",
      help: "Connections closed by the gateway without a CONNACK, by reason (too_many_pending, packet_too_large, malformed)",
      labelNames: ["reason"],
    }),
    revocations: counter(registry, {
      name: "sensorstream_gateway_revocations_total",
      help: "credentials.revoked events handled, by outcome (closed: live sessions ended; none: nothing live here; invalid)",
      labelNames: ["outcome"],
    }),
    refused: counter(registry, {
      name: "sensorstream_gateway_refused_total",
      help: "Publishes, Last Wills and subscriptions refused because the client may not use that topic (action)",
      labelNames: ["action"],
    }),
    outbound: counter(registry, {
      name: "sensorstream_gateway_outbound_total",
      help: "Platform messages from this replica's queue by kind (command, alert, unknown) and outcome (delivered: handed to the sensor's live connection here; not_here: no live subscribed connection here; published: alert sent to this replica's subscribers; expired; invalid; report_failed: delivered but commands.delivered not confirmed; error)",
      labelNames: ["kind", "outcome"],
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
