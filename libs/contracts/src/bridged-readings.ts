import { describeIssues } from "./errors.js";
import { fastMeasurementMessage } from "./fast-paths.js";
import { type MeasurementMessage, measurementMessageSchema } from "./payloads.js";
import { utf8 } from "./utf8.js";

/**
 * gateway -> the alarm service, on readings.bridged: the data messages one gateway bridged in one turn of its event
 * loop, in the order it published them, as a JSON array of `sensor_<id>.data` bodies (byte for byte). One sensor's
 * messages all pass through its one connection, so they keep their order here as on `sensor_<id>.data`; the alarm
 * service needs that order and one message per turn costs the broker a fraction of a copy of every data message.
 * The gateway acknowledges a reading to its sensor only once both its `.data` message and the array holding it are
 * confirmed, so an acknowledged reading is in both.
 */
export const READINGS_BRIDGED_ROUTING_KEY = "readings.bridged";

/** The array around already serialized data messages: no message is parsed or serialized again. */
export function bridgedReadingsBody(dataMessages: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [OPEN];
  for (let i = 0; i < dataMessages.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(dataMessages[i] as Buffer);
  }
  parts.push(CLOSE);
  return Buffer.concat(parts);
}
const OPEN = Buffer.from("[");
const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]");

/** Parses a readings.bridged body: every element must be a valid measurement message, or the whole is refused. */
export function parseBridgedReadings(
  content: Uint8Array,
): { ok: true; messages: MeasurementMessage[] } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(utf8(content));
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  if (!Array.isArray(json) || json.length === 0) {
    return { ok: false, error: "readings.bridged must be a non-empty array of data messages" };
  }
  const messages: MeasurementMessage[] = [];
  for (let i = 0; i < json.length; i++) {
    const fast = fastMeasurementMessage(json[i]);
    if (fast !== undefined) {
      messages.push(fast);
      continue;
    }
    const r = measurementMessageSchema.safeParse(json[i]);
    if (!r.success) return { ok: false, error: `message ${i}: ${describeIssues(r.error.issues)}` };
    messages.push(r.data);
  }
  return { ok: true, messages };
}
