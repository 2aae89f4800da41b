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
  type StatusMessage,
  sensorIdFromRoutingKey,
  statusMessageSchema,
} from "@sensorstream/contracts";
import type { z } from "zod";

export type RegistryMessage =
  | { kind: "status"; message: StatusMessage }
  | { kind: "connection"; message: ConnectionEvent }
  | { kind: "ack"; message: AckMessage }
  | { kind: "activity"; message: ActivityReport };

const SUFFIXES: ReadonlyArray<[string, RegistryMessage["kind"], z.ZodType]> = [
  [".status", "status", statusMessageSchema],
  [".connection", "connection", connectionEventSchema],
  [".commands.ack", "ack", ackMessageSchema],
];

/** Parses what arrives on the registry queue, by routing key. Never throws. */
export function parseRegistryDelivery(
  d: Delivery,
): { ok: true; value: RegistryMessage } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(d.content.toString("utf8"));
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  if (d.routingKey === GATEWAY_ACTIVITY_ROUTING_KEY) {
    const r = activityReportSchema.safeParse(json);
    return r.success
      ? { ok: true, value: { kind: "activity", message: r.data } }
      : { ok: false, error: describeIssues(r.error.issues) };
  }
  const match = SUFFIXES.find(([suffix]) => d.routingKey.endsWith(suffix));
  if (!match) return { ok: false, error: `the registry does not handle routing key ${d.routingKey}` };
  const [, kind, schema] = match;
  const r = schema.safeParse(json);
  if (!r.success) return { ok: false, error: describeIssues(r.error.issues) };
  const value = { kind, message: r.data } as RegistryMessage;
  if (value.kind !== "activity" && sensorIdFromRoutingKey(d.routingKey) !== value.message.sensor_id) {
    return { ok: false, error: `routing key ${d.routingKey} does not match sensor_id ${value.message.sensor_id}` };
  }
  return { ok: true, value };
}
