import type { Delivery } from "@sensorstream/bus";
import {
  type AckMessage,
  type ActivityReport,
  ackMessageSchema,
  activityReportSchema,
  type ConnectionEvent,
  connectionEventSchema,
  describeIssues,
  GATEWAY_ACTIVITY_ROUTING_KEY,
  parseBusMessage,
  type StatusMessage,
  statusMessageSchema,
} from "@sensorstream/contracts";

export type RegistryMessage =
  | { kind: "status"; message: StatusMessage }
  | { kind: "connection"; message: ConnectionEvent }
  | { kind: "ack"; message: AckMessage }
  | { kind: "activity"; message: ActivityReport };

type Result = { ok: true; message: RegistryMessage } | { ok: false; error: string };

/** Parses what arrives on the registry queue, by routing key. Never throws. */
export function parseRegistryDelivery(d: Delivery): Result {
  const key = d.routingKey;
  if (key === GATEWAY_ACTIVITY_ROUTING_KEY) return parseActivity(d.content);
  // Per-sensor events: the contract's schema, and a sensor_id that matches the routing key.
  const as = <K extends RegistryMessage["kind"]>(
    kind: K,
    r: { ok: true; message: unknown } | { ok: false; error: string },
  ) => (r.ok ? ({ ok: true, message: { kind, message: r.message } as RegistryMessage } as const) : r);
  if (key.endsWith(".status")) return as("status", parseBusMessage(statusMessageSchema, d.content, key));
  if (key.endsWith(".connection")) return as("connection", parseBusMessage(connectionEventSchema, d.content, key));
  if (key.endsWith(".commands.ack")) return as("ack", parseBusMessage(ackMessageSchema, d.content, key));
  return { ok: false, error: `the registry does not handle routing key ${key}` };
}

/** The gateway's activity report names many sensors, so it has no sensor id to check against its key. */
function parseActivity(content: Buffer): Result {
  let json: unknown;
  try {
    json = JSON.parse(content.toString("utf8"));
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const r = activityReportSchema.safeParse(json);
  return r.success
    ? { ok: true, message: { kind: "activity", message: r.data } }
    : { ok: false, error: describeIssues(r.error.issues) };
}
