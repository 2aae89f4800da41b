/**
 * Hand-written validators beside the zod schemas of the two hottest contracts: a device's reading
 * (deviceReadingSchema, at the gateway) and the bus MeasurementMessage (measurementMessageSchema, re-validated by the
 * ingester and the alarm service). Under 40k readings/s zod's per-field allocations were a quarter of the CPU.
 *
 * The zod schemas stay the contract (docs are generated from them). Each function here returns exactly what the
 * schema's parse returns (same values, same key order, unknown keys stripped) when its input is certainly valid, and
 * undefined otherwise: the caller then runs the schema, which accepts or words the error as always. So a fast path
 * may refuse more than the schema, never accept more (properties.test.ts / fast-paths.test.ts check both ways).
 *
 * Inputs are JSON.parse output: plain objects, no symbols, no accessors. A value `undefined` falls back to zod.
 */
import { MAX_READINGS_PER_MESSAGE, METRIC_NAME_PATTERN } from "./limits.js";
import type { DeviceReading, MeasurementMessage, Reading } from "./payloads.js";
import { parseRfc3339ToMicros } from "./time.js";

type Fields = Record<string, unknown>;
const BAD = Symbol("bad");

const isFields = (v: unknown): v is Fields => typeof v === "object" && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isNumberOrBool = (v: unknown): boolean => isNumber(v) || typeof v === "boolean";
const isLatitude = (v: unknown): boolean => isNumber(v) && v >= -90 && v <= 90;
const isLongitude = (v: unknown): boolean => isNumber(v) && v >= -180 && v <= 180;
const isSeq = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isDeviceTs = (v: unknown): boolean => (typeof v === "string" && v.length <= 64) || isNumber(v);
const isBusTime = (v: unknown): v is string => typeof v === "string" && parseRfc3339ToMicros(v).ok;
const isEnvelopeString = (v: unknown): v is string => typeof v === "string" && v.length >= 1 && v.length <= 64;

/** An optional field: its value if valid, undefined if absent, BAD otherwise. */
function optional<T>(o: Fields, key: string, valid: (v: unknown) => boolean): T | undefined | typeof BAD {
  const v = o[key];
  if (v === undefined) return key in o ? BAD : undefined;
  return valid(v) ? (v as T) : BAD;
}

/**
 * A record of metric name to value, returned as is: zod's copy holds the same keys in the same order. `__proto__`
 * (which zod silently drops) falls back.
 */
function metrics<V>(
  o: Fields,
  key: string,
  valid: (v: unknown) => boolean,
): Record<string, V> | undefined | typeof BAD {
  const v = o[key];
  if (v === undefined) return key in o ? BAD : undefined;
  if (!isFields(v)) return BAD;
  for (const name in v) {
    if (name === "__proto__" || !METRIC_NAME_PATTERN.test(name) || !valid(v[name])) return BAD;
  }
  return v as Record<string, V>;
}

/** deviceReadingSchema's output for a certainly valid reading; undefined: ask the schema. */
export function fastDeviceReading(item: unknown): DeviceReading | undefined {
  if (!isFields(item)) return undefined;
  const ts = optional<string | number>(item, "ts", isDeviceTs);
  const values = metrics<number | boolean>(item, "values", isNumberOrBool);
  const value = optional<number | boolean>(item, "value", isNumberOrBool);
  const lat = optional<number>(item, "lat", isLatitude);
  const lon = optional<number>(item, "lon", isLongitude);
  const seq = optional<number>(item, "seq", isSeq);
  if (ts === BAD || values === BAD || value === BAD || lat === BAD || lon === BAD || seq === BAD) return undefined;
  const out: DeviceReading = {};
  if (ts !== undefined) out.ts = ts;
  if (values !== undefined) out.values = values;
  if (value !== undefined) out.value = value;
  if (lat !== undefined) out.lat = lat;
  if (lon !== undefined) out.lon = lon;
  if (seq !== undefined) out.seq = seq;
  return out;
}

/** readingSchema's output for a certainly valid reading; undefined: ask the schema. */
function fastReading(item: unknown): Reading | undefined {
  if (!isFields(item)) return undefined;
  const time = item.time;
  const values = metrics<number>(item, "values", isNumber);
  const lat = optional<number>(item, "lat", isLatitude);
  const lon = optional<number>(item, "lon", isLongitude);
  const seq = optional<number>(item, "seq", isSeq);
  if (!isBusTime(time) || values === BAD || values === undefined || lat === BAD || lon === BAD || seq === BAD) {
    return undefined;
  }
  const out: Reading = { time, values };
  if (lat !== undefined) out.lat = lat;
  if (lon !== undefined) out.lon = lon;
  if (seq !== undefined) out.seq = seq;
  return out;
}

/** measurementMessageSchema's output for a certainly valid message; undefined: ask the schema. */
export function fastMeasurementMessage(json: unknown): MeasurementMessage | undefined {
  if (!isFields(json)) return undefined;
  const { msg_id, sensor_id, received_at, readings } = json;
  if (!isEnvelopeString(msg_id) || !isEnvelopeString(sensor_id) || !isBusTime(received_at)) return undefined;
  if (!Array.isArray(readings) || readings.length < 1 || readings.length > MAX_READINGS_PER_MESSAGE) return undefined;
  const out: Reading[] = [];
  for (let i = 0; i < readings.length; i++) {
    const r = fastReading(readings[i]);
    if (r === undefined) return undefined;
    out.push(r);
  }
  return { msg_id, sensor_id, received_at, readings: out };
}
