import { describeIssues } from "./errors.js";
import { fastMeasurementMessage } from "./fast-paths.js";
import { type MeasurementMessage, measurementMessageSchema } from "./payloads.js";
import { isSensorId } from "./sensor-id.js";
import { utf8 } from "./utf8.js";

/**
 * gateway -> the platform's consumers of readings (the measurement ingesters' `measurements` queue and the alarm
 * service's `alarms.input`), on readings.bridged: the data messages one gateway bridged in one turn of its event loop,
 * in the order it published them, as a JSON array of `sensor_<id>.data` bodies (byte for byte). One sensor's messages
 * all pass through its one connection, so they keep their order here as they would on `sensor_<id>.data`. One message
 * per turn costs the broker a fraction of one queue entry per data message (docs/performance.md, fifth round). The
 * gateway acknowledges a reading to its sensor only once the array holding it is confirmed (published mandatory: a
 * platform queue must take it).
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

/** One element of a readings.bridged array: a valid data message, or why it is not one (with what it names). */
export type BridgedElement =
  | { ok: true; message: MeasurementMessage }
  | {
      ok: false;
      error: string;
      /** The element as it was in the array (for its dead letter). */
      raw: unknown;
      /** Its sensor_id and msg_id, where they are well-formed. */
      sensorId: string | undefined;
      msgId: string | undefined;
    };

/**
 * Parses a readings.bridged body element by element: a body that is not a non-empty JSON array is refused whole; a bad
 * element is reported on its own, so a consumer can store the good ones beside it and dead-letter only that one.
 */
export function parseBridgedElements(
  content: Uint8Array,
): { ok: true; elements: BridgedElement[] } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(utf8(content));
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  if (!Array.isArray(json) || json.length === 0) {
    return { ok: false, error: "readings.bridged must be a non-empty array of data messages" };
  }
  const elements: BridgedElement[] = [];
  for (const raw of json as unknown[]) {
    const fast = fastMeasurementMessage(raw);
    if (fast !== undefined) {
      elements.push({ ok: true, message: fast });
      continue;
    }
    const r = measurementMessageSchema.safeParse(raw);
    if (r.success) elements.push({ ok: true, message: r.data });
    else elements.push({ ok: false, error: describeIssues(r.error.issues), raw, ...namesOf(raw) });
  }
  return { ok: true, elements };
}

function namesOf(raw: unknown): { sensorId: string | undefined; msgId: string | undefined } {
  const o = (typeof raw === "object" && raw !== null ? raw : {}) as { sensor_id?: unknown; msg_id?: unknown };
  return {
    sensorId: typeof o.sensor_id === "string" && isSensorId(o.sensor_id) ? o.sensor_id : undefined,
    msgId: typeof o.msg_id === "string" ? o.msg_id : undefined,
  };
}
