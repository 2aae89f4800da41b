import { z } from "zod";
import { describeIssues, type Rejection } from "./errors.js";
import { fastDeviceReading } from "./fast-paths.js";
import {
  MAX_LOG_ENTRIES_PER_MESSAGE,
  MAX_METRICS_PER_READING,
  MAX_READINGS_PER_MESSAGE,
  METRIC_NAME_PATTERN,
} from "./limits.js";
import { MAX_SAMPLE_HZ, MIN_SAMPLE_HZ, statusExtras, statusExtrasProblem } from "./status-extras.js";
import { epochMillisToMicros, formatMicros, parseRfc3339ToMicros, type TimeParseResult } from "./time.js";
import type { DeviceKind } from "./topics.js";
import { unstorableLogLine } from "./unstorable.js";
import { utf8 } from "./utf8.js";

export { MAX_LOG_ENTRIES_PER_MESSAGE, MAX_METRICS_PER_READING, MAX_READINGS_PER_MESSAGE, METRIC_NAME_PATTERN };

export const metricNameSchema = z
  .string()
  .regex(METRIC_NAME_PATTERN, "a metric name is 1-64 characters of A-Z a-z 0-9 _ . : / -, starting with a letter or _");

const tsSchema = z.union([z.string().max(64), z.number()], {
  error: "ts must be an RFC 3339 string or integer epoch milliseconds",
});
const numberOrBool = z.union([z.number(), z.boolean()], { error: "a value must be a number or a boolean" });

/** A reading as a device sends it. Unknown keys are ignored (forward compatibility). */
export const deviceReadingSchema = z.object({
  ts: tsSchema.optional(),
  values: z.record(metricNameSchema, numberOrBool).optional(),
  value: numberOrBool.optional(),
  lat: z.number().gte(-90).lte(90).optional(),
  lon: z.number().gte(-180).lte(180).optional(),
  seq: z.int().nonnegative().optional(),
});
export type DeviceReading = z.output<typeof deviceReadingSchema>;

export const deviceLogSchema = z.looseObject({
  ts: tsSchema.optional(),
  level: z.enum(["debug", "info", "warn", "error"]).default("info"),
  msg: z.string().max(8192),
});

const noNul = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes("\u0000"), "contains a NUL character");

/** Unknown fields are kept (device-reported metadata), within the bounds of status-extras.ts. */
export const deviceStatusSchema = z
  .looseObject({
    state: z.enum(["online", "offline"]),
    mode: z.enum(["awake", "asleep"]).optional(),
    sample_hz: z.number().min(MIN_SAMPLE_HZ).max(MAX_SAMPLE_HZ).optional(),
    type: noNul(64).optional(),
    model: noNul(128).optional(),
    firmware: noNul(128).optional(),
  })
  .superRefine((s, ctx) => {
    const p = statusExtrasProblem(statusExtras(s));
    if (p) ctx.addIssue({ code: "custom", path: p.path, message: p.message });
  });

export const deviceAckSchema = z.object({
  command_id: z.uuid(),
  status: z.enum(["ok", "error"]),
  error: z.string().max(1024).optional(),
});

// ---- the normalized forms carried on the bus ----------------------------------------------

const busTime = z.string().refine((s) => parseRfc3339ToMicros(s).ok, "must be an RFC 3339 timestamp");

export const readingSchema = z.object({
  time: busTime,
  values: z.record(metricNameSchema, z.number()),
  lat: z.number().gte(-90).lte(90).optional(),
  lon: z.number().gte(-180).lte(180).optional(),
  seq: z.int().nonnegative().optional(),
});
export type Reading = z.output<typeof readingSchema>;

const envelope = {
  msg_id: z.string().min(1).max(64),
  sensor_id: z.string().min(1).max(64),
  received_at: busTime,
};

export const measurementMessageSchema = z.object({
  ...envelope,
  readings: z.array(readingSchema).min(1).max(MAX_READINGS_PER_MESSAGE),
});
export type MeasurementMessage = z.output<typeof measurementMessageSchema>;

export const logEntrySchema = z
  .object({
    time: busTime,
    level: z.enum(["debug", "info", "warn", "error"]),
    msg: z.string(),
    fields: z.record(z.string(), z.unknown()),
  })
  .superRefine((e, ctx) => {
    // The gateway refuses these lines; one published straight to the bus is refused here.
    const u = unstorableLogLine(e.msg, e.fields);
    if (u) ctx.addIssue({ code: "custom", path: u.in === "msg" ? ["msg"] : ["fields", ...u.path], message: u.message });
  });
export type LogEntry = z.output<typeof logEntrySchema>;
export const logMessageSchema = z.object({ ...envelope, entries: z.array(logEntrySchema).min(1) });
export type LogMessage = z.output<typeof logMessageSchema>;

export const statusMessageSchema = z.object({
  ...envelope,
  status: deviceStatusSchema,
  /**
   * When the MQTT connection that carried this status (or whose Last Will it is) was accepted, by the accepting
   * gateway's clock. The registry orders presence by connection: a Last Will of an older connection never marks a
   * sensor that has reconnected since (possibly on another gateway replica) offline. Absent on older messages.
   */
  connected_at: busTime.optional(),
});
export type StatusMessage = z.output<typeof statusMessageSchema>;

export const ackMessageSchema = z.object({ ...envelope, ack: deviceAckSchema });
export type AckMessage = z.output<typeof ackMessageSchema>;

export type BusMessageByKind = {
  data: MeasurementMessage;
  logs: LogMessage;
  status: StatusMessage;
  acks: AckMessage;
};
export type ParsedDeviceMessage = { [K in DeviceKind]: { kind: K; message: BusMessageByKind[K] } }[DeviceKind];
export type DeviceParseResult = ({ ok: true } & ParsedDeviceMessage) | Rejection;

export type ReceiveContext = { sensor_id: string; msg_id: string; received_us: number };

/**
 * Parses and normalizes what a device published on `sensors/<id>/<kind>`. Never throws:
 * every failure is a Rejection whose error says what to fix.
 */
export function parseDevicePayload(kind: DeviceKind, payload: Uint8Array, ctx: ReceiveContext): DeviceParseResult {
  let json: unknown;
  try {
    json = JSON.parse(utf8(payload));
  } catch (err) {
    return {
      ok: false,
      reason: "malformed_json",
      error: `payload is not JSON: ${(err as Error).message.slice(0, 200)}`,
    };
  }
  const head = { msg_id: ctx.msg_id, sensor_id: ctx.sensor_id, received_at: formatMicros(ctx.received_us) };
  switch (kind) {
    case "data": {
      const r = normalizeReadings(json, ctx.received_us);
      return r.ok ? { ok: true, kind, message: { ...head, readings: r.readings } } : r;
    }
    case "logs": {
      const r = normalizeLogs(json, ctx.received_us);
      return r.ok ? { ok: true, kind, message: { ...head, entries: r.entries } } : r;
    }
    case "status": {
      const r = deviceStatusSchema.safeParse(json);
      return r.success
        ? { ok: true, kind, message: { ...head, status: r.data } }
        : { ok: false, reason: "invalid_payload", error: describeIssues(r.error.issues) };
    }
    case "acks": {
      const r = deviceAckSchema.safeParse(json);
      return r.success
        ? { ok: true, kind, message: { ...head, ack: r.data } }
        : { ok: false, reason: "invalid_payload", error: describeIssues(r.error.issues) };
    }
    default: {
      const never: never = kind;
      return { ok: false, reason: "invalid_topic", error: `unknown kind ${String(never)}` };
    }
  }
}

const asList = (json: unknown, max: number, what: string): { ok: true; items: unknown[] } | Rejection => {
  const items = Array.isArray(json) ? json : [json];
  if (items.length === 0) return { ok: false, reason: "invalid_payload", error: `an empty array holds no ${what}` };
  if (items.length > max) {
    return { ok: false, reason: "invalid_payload", error: `${items.length} ${what} in one message; at most ${max}` };
  }
  return { ok: true, items };
};

const timeOf = (ts: string | number | undefined, fallbackUs: number): TimeParseResult => {
  if (ts === undefined) return { ok: true, us: fallbackUs };
  return typeof ts === "number" ? epochMillisToMicros(ts) : parseRfc3339ToMicros(ts);
};

/** deviceReadingSchema's parse: the hand-written fast path (fast-paths.ts) when it is sure, else the schema. */
export function parseDeviceReading(
  item: unknown,
): { success: true; data: DeviceReading } | { success: false; issues: z.core.$ZodIssue[] } {
  const fast = fastDeviceReading(item);
  if (fast !== undefined) return { success: true, data: fast };
  const r = deviceReadingSchema.safeParse(item);
  return r.success ? { success: true, data: r.data } : { success: false, issues: r.error.issues };
}

export function normalizeReadings(json: unknown, receivedUs: number): { ok: true; readings: Reading[] } | Rejection {
  const list = asList(json, MAX_READINGS_PER_MESSAGE, "readings");
  if (!list.ok) return list;
  const many = Array.isArray(json);
  const readings: Reading[] = [];
  const items = list.items;
  for (let i = 0; i < items.length; i++) {
    const r = normalizeReading(items[i], receivedUs);
    if (r.ok) readings.push(r.reading);
    else return { ok: false, reason: "invalid_payload", error: r.problem(many ? `[${i}]` : "") };
  }
  return { ok: true, readings };
}

type ReadingResult = { ok: true; reading: Reading } | { ok: false; problem: (where: string) => string };
const problem = (what: (where: string) => string): ReadingResult => ({ ok: false, problem: what });

/** One reading in the bus form, or its problem worded for where it sits (`[i]` in an array, "" alone). */
function normalizeReading(item: unknown, receivedUs: number): ReadingResult {
  const r = parseDeviceReading(item);
  if (!r.success) {
    const issues = r.issues;
    return problem((where) => describeIssues(issues, where));
  }
  const d = r.data;
  const time = timeOf(d.ts, receivedUs);
  if (!time.ok) return problem((where) => `${where ? `${where}.` : ""}ts: ${time.error}`);
  if (d.value !== undefined && d.values !== undefined)
    return problem((where) => `${where || "reading"}: use "values" or "value", not both`);
  const values: Record<string, number> = {};
  const source = d.values ?? (d.value === undefined ? {} : { value: d.value });
  const names = Object.keys(source);
  if (names.length > MAX_METRICS_PER_READING) {
    return problem((where) => `${where || "reading"}: ${names.length} metrics; at most ${MAX_METRICS_PER_READING}`);
  }
  for (const name of names) {
    const v = source[name];
    values[name] = typeof v === "boolean" ? (v ? 1 : 0) : (v as number);
  }
  if ((d.lat === undefined) !== (d.lon === undefined))
    return problem((where) => `${where || "reading"}: lat and lon come together`);
  if (names.length === 0 && d.lat === undefined) {
    return problem((where) => `${where || "reading"}: no "values", "value" or "lat"/"lon": nothing to store`);
  }
  const reading: Reading = { time: formatMicros(time.us), values };
  if (d.lat !== undefined && d.lon !== undefined) {
    reading.lat = d.lat;
    reading.lon = d.lon;
  }
  if (d.seq !== undefined) reading.seq = d.seq;
  return { ok: true, reading };
}

export function normalizeLogs(json: unknown, receivedUs: number): { ok: true; entries: LogEntry[] } | Rejection {
  const list = asList(json, MAX_LOG_ENTRIES_PER_MESSAGE, "log entries");
  if (!list.ok) return list;
  const many = Array.isArray(json);
  const entries: LogEntry[] = [];
  for (const [i, item] of list.items.entries()) {
    const where = many ? `[${i}]` : "";
    const r = deviceLogSchema.safeParse(item);
    if (!r.success) return { ok: false, reason: "invalid_payload", error: describeIssues(r.error.issues, where) };
    const { ts, level, msg, ...fields } = r.data;
    const time = timeOf(ts, receivedUs);
    if (!time.ok)
      return { ok: false, reason: "invalid_payload", error: `${where ? `${where}.` : ""}ts: ${time.error}` };
    // Device-side paths: extra fields sit beside msg, not under "fields".
    const unstorable = unstorableLogLine(msg, fields);
    if (unstorable) {
      const path = unstorable.in === "msg" ? ["msg"] : unstorable.path;
      const issue: z.core.$ZodIssueCustom = { code: "custom", path, message: unstorable.message };
      return { ok: false, reason: "invalid_payload", error: describeIssues([issue], where) };
    }
    entries.push({ time: formatMicros(time.us), level, msg, fields });
  }
  return { ok: true, entries };
}
