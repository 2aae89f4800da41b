import type { z } from "zod";
import { describeIssues } from "./errors.js";
import { fastMeasurementMessage } from "./fast-paths.js";
import { measurementMessageSchema } from "./payloads.js";
import { sensorIdFromRoutingKey } from "./topics.js";
import { utf8 } from "./utf8.js";

/** Hand-written validators of the hottest contracts (fast-paths.ts): the schema still runs on whatever they refuse. */
const FAST_PATHS = new Map<z.ZodType, (json: unknown) => unknown>([[measurementMessageSchema, fastMeasurementMessage]]);

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
    json = JSON.parse(utf8(content));
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  let data = FAST_PATHS.get(schema)?.(json) as T | undefined;
  if (data === undefined) {
    const r = schema.safeParse(json);
    if (!r.success) return { ok: false, error: describeIssues(r.error.issues) };
    data = r.data;
  }
  const fromKey = sensorIdFromRoutingKey(routingKey);
  if (fromKey !== data.sensor_id) {
    return { ok: false, error: `routing key ${routingKey} does not match sensor_id ${data.sensor_id}` };
  }
  return { ok: true, message: data };
}
