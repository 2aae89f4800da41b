import type { z } from "zod";
import { describeIssues } from "./errors.js";
import { sensorIdFromRoutingKey } from "./topics.js";

/**
 * Parses a message taken from the bus against its contract, and checks that its sensor_id is the
 * one its routing key names. Consumers re-validate what the gateway published: a message that
 * fails is dead-lettered with this error, never stored.
 */
export function parseBusMessage<T extends { sensor_id: string }>(
  schema: z.ZodType<T>,
  content: Uint8Array,
  routingKey: string,
): { ok: true; message: T } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString("utf8"));
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const r = schema.safeParse(json);
  if (!r.success) return { ok: false, error: describeIssues(r.error.issues) };
  const fromKey = sensorIdFromRoutingKey(routingKey);
  if (fromKey !== r.data.sensor_id) {
    return { ok: false, error: `routing key ${routingKey} does not match sensor_id ${r.data.sensor_id}` };
  }
  return { ok: true, message: r.data };
}
