import { describe, expect, it } from "vitest";
import {
  type BusMessageByKind,
  type DeviceKind,
  describeIssues,
  logMessageSchema,
  MAX_LOG_ENTRIES_PER_MESSAGE,
  MAX_LOG_FIELD_DEPTH,
  MAX_METRICS_PER_READING,
  MAX_READINGS_PER_MESSAGE,
  measurementMessageSchema,
  microsOf,
  parseDevicePayload,
  type Rejection,
} from "./index.js";

const RECEIVED_AT = "2026-11-23T08:00:05.000001Z";
const ctx = { sensor_id: "pump-7", msg_id: "m-1", received_us: microsOf(RECEIVED_AT) };
const head = { msg_id: "m-1", sensor_id: "pump-7", received_at: RECEIVED_AT };

/** A string is sent as is (it may be broken JSON); anything else is JSON-encoded. */
const bytes = (payload: unknown): Buffer =>
  Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload), "utf8");

function accept<K extends DeviceKind>(kind: K, payload: unknown): BusMessageByKind[K] {
  const r = parseDevicePayload(kind, bytes(payload), ctx);
  if (!r.ok) throw new Error(`expected ${kind} payload to be accepted, got ${r.reason}: ${r.error}`);
  expect(r.kind).toBe(kind);
  return r.message as BusMessageByKind[K];
}

function reject(kind: DeviceKind, payload: unknown): Rejection {
  const r = parseDevicePayload(kind, bytes(payload), ctx);
  if (r.ok) throw new Error(`expected ${kind} payload to be rejected, got ${JSON.stringify(r.message)}`);
  expect(r.error.length).toBeGreaterThan(0);
  return r;
}

/** The time of the only reading of an accepted data payload. */
const timeOf = (payload: Record<string, unknown>): string | undefined =>
  accept("data", { value: 1, ...payload }).readings[0]?.time;

describe("data payloads", () => {
  it("normalizes the reading shown in ARCHITECTURE.md", () => {
    const m = accept("data", {
      ts: "2026-11-23T08:00:00.123456789Z",
      values: { accel_rms: 0.82, temp_c: 41.2 },
      lat: -33.45,
      lon: -70.66,
      seq: 1042,
    });
    expect(m).toStrictEqual({
      ...head,
      readings: [
        {
          time: "2026-11-23T08:00:00.123456Z",
          values: { accel_rms: 0.82, temp_c: 41.2 },
          lat: -33.45,
          lon: -70.66,
          seq: 1042,
        },
      ],
    });
    // What the consumers re-validate on the bus.
    expect(measurementMessageSchema.parse(JSON.parse(JSON.stringify(m)))).toStrictEqual(m);
  });

  it("accepts an array of readings, in order", () => {
    const m = accept("data", [
      { ts: "2026-11-23T08:00:00Z", values: { temp_c: 20 } },
      { ts: "2026-11-23T08:00:01Z", values: { temp_c: 21, rpm: 1500 }, seq: 2 },
    ]);
    expect(m.readings).toStrictEqual([
      { time: "2026-11-23T08:00:00.000000Z", values: { temp_c: 20 } },
      { time: "2026-11-23T08:00:01.000000Z", values: { temp_c: 21, rpm: 1500 }, seq: 2 },
    ]);
  });

  it('reads {"value": 3.2} as {"values": {"value": 3.2}}', () => {
    expect(accept("data", { value: 3.2 }).readings).toStrictEqual([{ time: RECEIVED_AT, values: { value: 3.2 } }]);
  });

  it("stores booleans as 1 and 0", () => {
    expect(accept("data", { values: { door_open: true, alarm: false, temp_c: 0 } }).readings[0]?.values).toStrictEqual({
      door_open: 1,
      alarm: 0,
      temp_c: 0,
    });
    expect(accept("data", { value: true }).readings[0]?.values).toStrictEqual({ value: 1 });
    expect(accept("data", { value: false }).readings[0]?.values).toStrictEqual({ value: 0 });
  });

  it.each([
    ["2026-11-23T08:00:00Z", "2026-11-23T08:00:00.000000Z"],
    ["2026-11-23T08:00:00.5Z", "2026-11-23T08:00:00.500000Z"],
    ["2026-11-23T08:00:00.123Z", "2026-11-23T08:00:00.123000Z"],
    ["2026-11-23T08:00:00.123456Z", "2026-11-23T08:00:00.123456Z"],
    ["2026-11-23T08:00:00.123456789Z", "2026-11-23T08:00:00.123456Z"],
    ["2026-11-23T08:00:00.999999999Z", "2026-11-23T08:00:00.999999Z"],
    ["2026-11-23t08:00:00.000001z", "2026-11-23T08:00:00.000001Z"],
    ["2026-11-23 08:00:00Z", "2026-11-23T08:00:00.000000Z"],
  ])("reads ts %s as %s", (ts, time) => {
    expect(timeOf({ ts })).toBe(time);
  });

  it.each([
    ["2026-11-23T10:00:00.123+02:00", "2026-11-23T08:00:00.123000Z"],
    ["2026-11-23T02:30:00.123456789-05:30", "2026-11-23T08:00:00.123456Z"],
    ["2026-11-23T23:30:00-05:30", "2026-11-24T05:00:00.000000Z"],
    ["2026-11-24T01:00:00+02:00", "2026-11-23T23:00:00.000000Z"],
    ["2026-11-23T08:00:00+00:00", "2026-11-23T08:00:00.000000Z"],
    ["2026-11-23T08:00:00-00:00", "2026-11-23T08:00:00.000000Z"],
    ["2026-01-01T05:00:00+14:00", "2025-12-31T15:00:00.000000Z"],
    ["1969-12-31T23:30:00-01:00", "1970-01-01T00:30:00.000000Z"],
    ["2200-01-01T00:59:59.999999+01:00", "2199-12-31T23:59:59.999999Z"],
  ])("converts the offset of %s to UTC", (ts, time) => {
    expect(timeOf({ ts })).toBe(time);
  });

  it.each([
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000000Z"],
    ["2000-02-29T12:00:00Z", "2000-02-29T12:00:00.000000Z"],
    ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z"],
    ["2199-12-31T23:59:59.999999999Z", "2199-12-31T23:59:59.999999Z"],
  ])("accepts the edge date %s", (ts, time) => {
    expect(timeOf({ ts })).toBe(time);
  });

  it("reads an integer ts as epoch milliseconds", () => {
    expect(timeOf({ ts: 1_795_420_800_123 })).toBe("2026-11-23T08:00:00.123000Z");
    expect(timeOf({ ts: 0 })).toBe("1970-01-01T00:00:00.000000Z");
  });

  it("uses the receive time when ts is absent", () => {
    const m = accept("data", [{ value: 1 }, { ts: "2026-11-23T07:00:00Z", value: 2 }]);
    expect(m.received_at).toBe(RECEIVED_AT);
    expect(m.readings.map((r) => r.time)).toStrictEqual([RECEIVED_AT, "2026-11-23T07:00:00.000000Z"]);
  });

  it("keeps lat/lon and seq, including their edge values", () => {
    expect(accept("data", { value: 1, lat: -90, lon: 180, seq: 0 }).readings[0]).toStrictEqual({
      time: RECEIVED_AT,
      values: { value: 1 },
      lat: -90,
      lon: 180,
      seq: 0,
    });
    expect(accept("data", { value: 1, lat: 90, lon: -180 }).readings[0]).toMatchObject({ lat: 90, lon: -180 });
  });

  it("accepts a position without values", () => {
    expect(accept("data", { lat: 1.5, lon: 2.5 }).readings).toStrictEqual([
      { time: RECEIVED_AT, values: {}, lat: 1.5, lon: 2.5 },
    ]);
  });

  it("ignores unknown keys (forward compatibility)", () => {
    expect(accept("data", { value: 1, unit: "C", extra: { a: 1 } }).readings).toStrictEqual([
      { time: RECEIVED_AT, values: { value: 1 } },
    ]);
  });

  it("accepts metric names with every allowed character, up to 64 long", () => {
    const names = ["_x", "a.b", "ns:temp", "bus/0/v", "vib-x", "A9", `m${"x".repeat(63)}`];
    const values = Object.fromEntries(names.map((n, i) => [n, i]));
    expect(accept("data", { values }).readings[0]?.values).toStrictEqual(values);
  });

  it("accepts metric names that are Object.prototype properties", () => {
    expect(accept("data", { values: { constructor: 1, toString: 2, hasOwnProperty: 3 } }).readings[0]?.values).toEqual({
      constructor: 1,
      toString: 2,
      hasOwnProperty: 3,
    });
  });

  it(`accepts exactly ${MAX_READINGS_PER_MESSAGE} readings and ${MAX_METRICS_PER_READING} metrics`, () => {
    const many = Array.from({ length: MAX_READINGS_PER_MESSAGE }, (_, i) => ({ ts: i, value: i }));
    expect(accept("data", many).readings).toHaveLength(MAX_READINGS_PER_MESSAGE);
    const values = Object.fromEntries(Array.from({ length: MAX_METRICS_PER_READING }, (_, i) => [`m${i}`, i]));
    expect(Object.keys(accept("data", { values }).readings[0]?.values ?? {})).toHaveLength(MAX_METRICS_PER_READING);
  });

  it("reads the bytes of a view into a larger buffer, and a plain Uint8Array", () => {
    const framed = Buffer.from('garbage{"value":7}garbage');
    const r = parseDevicePayload("data", framed.subarray(7, 18), ctx);
    expect(r.ok && r.kind === "data" && r.message.readings[0]?.values).toStrictEqual({ value: 7 });
    const plain = parseDevicePayload("data", new TextEncoder().encode('{"value":8}'), ctx);
    expect(plain.ok && plain.kind === "data" && plain.message.readings[0]?.values).toStrictEqual({ value: 8 });
  });
});

describe("data payload rejections", () => {
  it.each([
    ['{"values":', /not JSON/],
    ["", /not JSON/],
    ["{'value': 1}", /not JSON/],
    ["NaN", /not JSON/],
  ])("refuses malformed JSON %j", (payload, error) => {
    const r = reject("data", payload);
    expect(r.reason).toBe("malformed_json");
    expect(r.error).toMatch(error);
  });

  it("refuses bytes that are not UTF-8 JSON", () => {
    const r = parseDevicePayload("data", Buffer.from([0xff, 0x00, 0x7b]), ctx);
    expect(r).toMatchObject({ ok: false, reason: "malformed_json" });
  });

  it.each<[string, unknown, RegExp]>([
    ["a string value", { values: { temp_c: "41.2" } }, /^values\.temp_c: /],
    ["a null value", { values: { temp_c: null } }, /^values\.temp_c: /],
    ["a nested value", { values: { temp_c: { v: 1 } } }, /^values\.temp_c: /],
    ["a string shorthand value", { value: "3.2" }, /^value: /],
    ["values as an array", { values: [1, 2] }, /^values: /],
    ["a string lat", { value: 1, lat: "1", lon: 2 }, /^lat: /],
    ["a string lon", { value: 1, lat: 1, lon: "2" }, /^lon: /],
    ["lat above 90", { value: 1, lat: 90.0001, lon: 0 }, /^lat: /],
    ["lat below -90", { value: 1, lat: -91, lon: 0 }, /^lat: /],
    ["lon above 180", { value: 1, lat: 0, lon: 180.5 }, /^lon: /],
    ["lat without lon", { value: 1, lat: 10 }, /lat and lon come together/],
    ["lon without lat", { value: 1, lon: 10 }, /lat and lon come together/],
    ["both value and values", { value: 1, values: { a: 2 } }, /"values" or "value", not both/],
    ["no values", {}, /nothing to store/],
    ["empty values", { values: {} }, /nothing to store/],
    ["only a ts", { ts: "2026-11-23T08:00:00Z" }, /nothing to store/],
    ["a negative seq", { value: 1, seq: -1 }, /^seq: /],
    ["a fractional seq", { value: 1, seq: 1.5 }, /^seq: /],
    ["a boolean ts", { value: 1, ts: true }, /^ts: /],
    ["a ts string longer than 64", { value: 1, ts: `2026-11-23T08:00:00.${"1".repeat(60)}Z` }, /^ts: /],
    ["a number", 42, /^\(payload\): /],
    ["null", null, /^\(payload\): /],
    ["a string", '"reading"', /^\(payload\): /],
    ["a nested array", [[{ value: 1 }]], /^\[0\]: /],
  ])("refuses %s, naming the field", (_what, payload, error) => {
    const r = reject("data", payload);
    expect(r.reason).toBe("invalid_payload");
    expect(r.error).toMatch(error);
  });

  it.each(["1st", "has space", "temp_ü", "", "-neg", `m${"x".repeat(64)}`])("refuses the metric name %j", (name) => {
    const r = reject("data", `{"values":{${JSON.stringify(name)}:1,"ok":2}}`);
    expect(r.reason).toBe("invalid_payload");
    expect(r.error).toMatch(/^values/);
    expect(r.error).toContain(name === "" ? "values: " : `values.${name}: `);
  });

  it("drops a __proto__ key without touching any prototype", () => {
    // zod skips "__proto__" keys (a prototype-pollution guard), so such a metric is never stored.
    const m = accept("data", '{"values":{"__proto__":{"polluted":1},"ok":2}}');
    expect(m.readings[0]?.values).toStrictEqual({ ok: 2 });
    expect(Object.getPrototypeOf(m.readings[0]?.values)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(reject("data", '{"values":{"__proto__":1}}').error).toMatch(/nothing to store/);
    const log = accept("logs", '{"msg":"x","__proto__":{"polluted":1},"a":1}');
    expect(log.entries[0]?.fields).toStrictEqual({ a: 1 });
  });

  it("names the failing reading of an array by its index", () => {
    const r = reject("data", [{ value: 1 }, { value: 2 }, { values: { t: "hot" } }]);
    expect(r.error).toMatch(/^\[2\]\.values\.t: /);
    expect(reject("data", [{ value: 1 }, { ts: "2026-02-30T00:00:00Z", value: 2 }]).error).toMatch(/^\[1\]\.ts: /);
    expect(reject("data", [{ value: 1 }, { value: 1, lat: 3 }]).error).toMatch(/^\[1\]: lat and lon/);
  });

  it("refuses an empty array", () => {
    expect(reject("data", [])).toStrictEqual({
      ok: false,
      reason: "invalid_payload",
      error: "an empty array holds no readings",
    });
  });

  it.each([
    ["Feb 30", "2026-02-30T00:00:00Z", /not a valid date/],
    ["Feb 29 outside a leap year", "2026-02-29T00:00:00Z", /not a valid date/],
    ["Feb 29 in 2100", "2100-02-29T00:00:00Z", /not a valid date/],
    ["April 31", "2026-04-31T00:00:00Z", /not a valid date/],
    ["month 13", "2026-13-01T00:00:00Z", /not a valid date/],
    ["day 0", "2026-11-00T00:00:00Z", /not a valid date/],
    ["hour 25", "2026-11-23T25:00:00Z", /not a valid date/],
    ["hour 24", "2026-11-23T24:00:00Z", /not a valid date/],
    ["minute 60", "2026-11-23T08:60:00Z", /not a valid date/],
    ["second 60", "2026-11-23T08:00:60Z", /not a valid date/],
    ["a missing zone", "2026-11-23T08:00:00", /not an RFC 3339 timestamp/],
    ["a missing zone with fraction", "2026-11-23T08:00:00.123", /not an RFC 3339 timestamp/],
    ["a date alone", "2026-11-23", /not an RFC 3339 timestamp/],
    ["ten fractional digits", "2026-11-23T08:00:00.1234567890Z", /not an RFC 3339 timestamp/],
    ["an empty fraction", "2026-11-23T08:00:00.Z", /not an RFC 3339 timestamp/],
    ["a one-digit offset hour", "2026-11-23T08:00:00+2:00", /not an RFC 3339 timestamp/],
    ["an offset without colon", "2026-11-23T08:00:00+0200", /not an RFC 3339 timestamp/],
    ["an offset of 24 hours", "2026-11-23T08:00:00+24:00", /invalid UTC offset/],
    ["an offset minute of 60", "2026-11-23T08:00:00+01:60", /invalid UTC offset/],
    ["words", "yesterday", /not an RFC 3339 timestamp/],
    ["an epoch as a string", "1795420800123", /not an RFC 3339 timestamp/],
    ["non-ASCII digits", "２０２６-11-23T08:00:00Z", /not an RFC 3339 timestamp/],
    ["surrounding space", " 2026-11-23T08:00:00Z", /not an RFC 3339 timestamp/],
    ["a time before 1970", "1969-12-31T23:59:59.999999Z", /outside 1970-01-01\.\.2200-01-01/],
    ["a time at 2200", "2200-01-01T00:00:00Z", /outside 1970-01-01\.\.2200-01-01/],
    ["an offset that moves 1970 into 1969", "1970-01-01T00:30:00+01:00", /outside/],
    ["a two-digit year", "0070-01-01T00:00:00Z", /outside/],
    ["year zero", "0000-01-01T00:00:00Z", /outside/],
    ["year 9999", "9999-12-31T23:59:59Z", /outside/],
  ])("refuses a ts with %s (%s)", (_what, ts, error) => {
    const r = reject("data", { ts, value: 1 });
    expect(r.reason).toBe("invalid_payload");
    expect(r.error).toMatch(/^ts: /);
    expect(r.error).toMatch(error);
  });

  it.each([
    ["a fractional epoch", 1_795_420_800_123.5, /must be an integer/],
    ["a negative epoch", -1, /outside/],
    ["an epoch at 2200", Date.UTC(2200, 0, 1), /outside/],
    ["an epoch in microseconds", 1_795_420_800_123_000, /outside/],
    ["a huge epoch", 1e300, /outside/],
  ])("refuses %s", (_what, ts, error) => {
    const r = reject("data", { ts, value: 1 });
    expect(r.reason).toBe("invalid_payload");
    expect(r.error).toMatch(/^ts: /);
    expect(r.error).toMatch(error);
  });

  it("refuses numbers JSON can express but a double cannot hold (1e400 = Infinity)", () => {
    expect(reject("data", '{"value":1e400}').error).toMatch(/^value: /);
    expect(reject("data", '{"ts":1e400,"value":1}').error).toMatch(/^ts: /);
  });

  it("refuses more readings or metrics than allowed", () => {
    const tooMany = Array.from({ length: MAX_READINGS_PER_MESSAGE + 1 }, () => ({ value: 1 }));
    expect(reject("data", tooMany).error).toBe(
      `${MAX_READINGS_PER_MESSAGE + 1} readings in one message; at most ${MAX_READINGS_PER_MESSAGE}`,
    );
    const values = Object.fromEntries(Array.from({ length: MAX_METRICS_PER_READING + 1 }, (_, i) => [`m${i}`, i]));
    const r = reject("data", [{ value: 1 }, { values }]);
    expect(r.error).toBe(`[1]: ${MAX_METRICS_PER_READING + 1} metrics; at most ${MAX_METRICS_PER_READING}`);
  });
});

describe("log payloads", () => {
  it("keeps extra fields in `fields`", () => {
    const m = accept("logs", {
      ts: "2026-11-23T08:00:00.5+01:00",
      level: "warn",
      msg: "disk low",
      disk: "sda",
      free_pct: 3,
      ctx: { retries: [1, 2] },
    });
    expect(m).toStrictEqual({
      ...head,
      entries: [
        {
          time: "2026-11-23T07:00:00.500000Z",
          level: "warn",
          msg: "disk low",
          fields: { disk: "sda", free_pct: 3, ctx: { retries: [1, 2] } },
        },
      ],
    });
  });

  it("accepts an array, defaults the level to info and the time to the receive time", () => {
    const m = accept("logs", [
      { msg: "boot" },
      { ts: 1_795_420_800_123, level: "debug", msg: "" },
      { level: "error", msg: "fault" },
    ]);
    expect(m.entries).toStrictEqual([
      { time: RECEIVED_AT, level: "info", msg: "boot", fields: {} },
      { time: "2026-11-23T08:00:00.123000Z", level: "debug", msg: "", fields: {} },
      { time: RECEIVED_AT, level: "error", msg: "fault", fields: {} },
    ]);
  });

  it.each<[string, unknown, RegExp]>([
    ["a missing msg", { level: "info" }, /^msg: /],
    ["a number msg", { msg: 42 }, /^msg: /],
    ["a msg over 8 KiB", { msg: "x".repeat(8193) }, /^msg: /],
    ["an unknown level", { msg: "x", level: "fatal" }, /^level: /],
    ["a bad ts", { msg: "x", ts: "2026-11-23T08:00:00" }, /^ts: .*not an RFC 3339/],
    ["a bad ts in an array", [{ msg: "x" }, { msg: "y", ts: 1.5 }], /^\[1\]\.ts: /],
    ["a bad entry in an array", [{ msg: "x" }, "y"], /^\[1\]: /],
    ["an empty array", [], /empty array holds no log entries/],
    ["a string", '"boot"', /^\(payload\): /],
  ])("refuses %s", (_what, payload, error) => {
    const r = reject("logs", payload);
    expect(r.reason).toBe("invalid_payload");
    expect(r.error).toMatch(error);
  });

  it(`refuses more than ${MAX_LOG_ENTRIES_PER_MESSAGE} entries`, () => {
    const entries = Array.from({ length: MAX_LOG_ENTRIES_PER_MESSAGE + 1 }, () => ({ msg: "x" }));
    expect(reject("logs", entries).error).toMatch(/1001 log entries in one message; at most 1000/);
    expect(accept("logs", entries.slice(1)).entries).toHaveLength(MAX_LOG_ENTRIES_PER_MESSAGE);
  });

  it("refuses malformed JSON", () => {
    expect(reject("logs", "{msg: x}").reason).toBe("malformed_json");
  });
});

describe("log lines PostgreSQL could not store", () => {
  const NUL_ERROR = "contains a NUL character (\\u0000), which cannot be stored";
  /** `levels` objects nested inside each other around `inner`. */
  const nest = (levels: number, inner: unknown = 1): unknown => {
    let v = inner;
    for (let i = 0; i < levels; i++) v = { n: v };
    return v;
  };

  it.each<[string, unknown, string]>([
    ["msg", { msg: "boot\u0000ed" }, `msg: ${NUL_ERROR}`],
    ["msg, in an array", [{ msg: "ok" }, { msg: "\u0000" }], `[1].msg: ${NUL_ERROR}`],
    ["a field", { msg: "x", disk: "sd\u0000a" }, `disk: ${NUL_ERROR}`],
    ["a nested field", { msg: "x", ctx: { note: "a\u0000" } }, `ctx.note: ${NUL_ERROR}`],
    ["an array element", { msg: "x", tags: ["a", "b\u0000"] }, `tags[1]: ${NUL_ERROR}`],
    ["a field, in an array", [{ msg: "x" }, { msg: "y", ctx: [{ a: "\u0000" }] }], `[1].ctx[0].a: ${NUL_ERROR}`],
    ["a key", { msg: "x", "a\u0000b": 1 }, `(payload): the key "a\\u0000b" ${NUL_ERROR}`],
    ["a nested key", { msg: "x", ctx: { "k\u0000": 1 } }, `ctx: the key "k\\u0000" ${NUL_ERROR}`],
    ["a key, in an array", [{ msg: "x" }, { msg: "y", "\u0000": 1 }], `[1]: the key "\\u0000" ${NUL_ERROR}`],
  ])("refuses a NUL character in %s, naming the field", (_where, payload, error) => {
    expect(reject("logs", payload)).toStrictEqual({ ok: false, reason: "invalid_payload", error });
  });

  it("reports the first NUL in document order", () => {
    const r = reject("logs", { msg: "x", a: { b: ["ok", "\u0000"], c: "\u0000" }, d: "\u0000" });
    expect(r.error).toBe(`a.b[1]: ${NUL_ERROR}`);
  });

  it("refuses a raw NUL byte inside a JSON string as malformed JSON", () => {
    expect(reject("logs", '{"msg":"a\u0000b"}').reason).toBe("malformed_json");
  });

  it("keeps other control characters and the text \\u0000", () => {
    const m = accept("logs", { msg: "tab\there\u0001\u001f", note: "\\u0000", nested: { k: "\u007f" } });
    expect(m.entries[0]).toMatchObject({
      msg: "tab\there\u0001\u001f",
      fields: { note: "\\u0000", nested: { k: "\u007f" } },
    });
  });

  it(`accepts fields nested ${MAX_LOG_FIELD_DEPTH} levels deep and refuses one more, naming the path`, () => {
    expect(accept("logs", { msg: "x", deep: nest(MAX_LOG_FIELD_DEPTH) }).entries).toHaveLength(1);
    expect(accept("logs", { msg: "x", deep: nest(MAX_LOG_FIELD_DEPTH - 2, [[1]]) }).entries).toHaveLength(1);
    const r = reject("logs", [{ msg: "x" }, { msg: "y", deep: nest(MAX_LOG_FIELD_DEPTH + 1) }]);
    expect(r.reason).toBe("invalid_payload");
    expect(r.error).toBe(
      `[1].deep${".n".repeat(MAX_LOG_FIELD_DEPTH)}: nested deeper than ${MAX_LOG_FIELD_DEPTH} levels`,
    );
  });

  it("refuses nesting deep enough to overflow JSON.stringify, without overflowing itself", () => {
    const depth = 100_000;
    const payload = `{"msg":"x","deep":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    expect(() => JSON.stringify(JSON.parse(payload))).toThrow(RangeError);
    expect(reject("logs", payload).error).toMatch(/^deep(\[0\]){32}: nested deeper than 32 levels$/);
  });

  it("refuses the same lines on the bus, where the fields sit under `fields`", () => {
    const line = { time: RECEIVED_AT, level: "info", msg: "ok", fields: {} };
    const bus = (entries: unknown[]) => logMessageSchema.safeParse({ ...head, entries });
    expect(bus([line]).success).toBe(true);
    const issues = (entries: unknown[]) => {
      const r = bus(entries);
      return r.success ? "accepted" : describeIssues(r.error.issues);
    };
    expect(issues([line, { ...line, msg: "a\u0000" }])).toBe(`entries[1].msg: ${NUL_ERROR}`);
    expect(issues([{ ...line, fields: { ctx: { note: "\u0000" } } }])).toBe(`entries[0].fields.ctx.note: ${NUL_ERROR}`);
    expect(issues([{ ...line, fields: { deep: nest(MAX_LOG_FIELD_DEPTH + 1) } }])).toMatch(
      /^entries\[0\]\.fields\.deep(\.n){32}: nested deeper than 32 levels$/,
    );
    // What the gateway publishes passes the bus schema unchanged.
    const m = accept("logs", [
      { msg: "x", ctx: { retries: [1, 2] } },
      { level: "error", msg: "y" },
    ]);
    expect(logMessageSchema.parse(JSON.parse(JSON.stringify(m)))).toStrictEqual(m);
  });
});

describe("status payloads", () => {
  it("accepts the full form and keeps unknown fields", () => {
    const status = {
      state: "online",
      mode: "asleep",
      sample_hz: 10,
      type: "vibration",
      model: "VX-200",
      firmware: "1.4.2",
      battery_pct: 81,
    };
    expect(accept("status", status)).toStrictEqual({ ...head, status });
  });

  it('accepts the Last Will {"state":"offline"}', () => {
    expect(accept("status", { state: "offline" })).toStrictEqual({ ...head, status: { state: "offline" } });
  });

  it.each<[string, unknown, RegExp]>([
    ["a missing state", { mode: "awake" }, /^state: /],
    ["an unknown state", { state: "sleeping" }, /^state: /],
    ["an unknown mode", { state: "online", mode: "dozing" }, /^mode: /],
    ["a zero sample rate", { state: "online", sample_hz: 0 }, /^sample_hz: /],
    ["a string sample rate", { state: "online", sample_hz: "10" }, /^sample_hz: /],
    ["a vanishing sample rate (absurd silence interval)", { state: "online", sample_hz: 1e-300 }, /^sample_hz: /],
    ["a negative sample rate", { state: "online", sample_hz: -5 }, /^sample_hz: /],
    ["a sample rate above 100 kHz", { state: "online", sample_hz: 100_001 }, /^sample_hz: /],
    ["an infinite sample rate", '{"state":"online","sample_hz":1e999}', /^sample_hz: /],
    ["a NUL in the model", { state: "online", model: "VX\u0000" }, /^model: .*NUL/],
    ["a NUL in an extra field", { state: "online", site: { dock: "4\u0000" } }, /^site\.dock: .*NUL/],
    ["a NUL in an extra key", { state: "online", "si\u0000te": 1 }, /NUL/],
    [
      "extra fields nested too deeply",
      { state: "online", a: { b: { c: { d: { e: 1 } } } } },
      /^a\.b\.c\.d: nested deeper/,
    ],
    [
      "33 extra fields",
      { state: "online", ...Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) },
      /33 extra fields/,
    ],
    ["more than 4 KB of extra fields", { state: "online", notes: "x".repeat(5_000) }, /bytes as JSON/],
    ["an array", [{ state: "online" }], /^\(payload\): /],
  ])("refuses %s", (_what, payload, error) => {
    const r = reject("status", payload);
    expect(r.reason).toBe("invalid_payload");
    expect(r.error).toMatch(error);
  });

  it("accepts extra fields at the bounds and the whole sample-rate range", () => {
    const at = { state: "online", ...Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, i])) };
    expect(accept("status", at).status).toStrictEqual(at);
    expect(accept("status", { state: "online", a: { b: { c: { d: 1 } } } }).status).toHaveProperty("a");
    expect(accept("status", { state: "online", sample_hz: 1e-6 }).status.sample_hz).toBe(1e-6);
    expect(accept("status", { state: "online", sample_hz: 100_000 }).status.sample_hz).toBe(100_000);
  });

  it("refuses 5,000 levels of nesting without overflowing", () => {
    const deep = `{"state":"online","a":${"[".repeat(5_000)}${"]".repeat(5_000)}}`;
    expect(reject("status", deep).error).toMatch(/nested deeper/);
  });

  it("refuses malformed JSON", () => {
    expect(reject("status", '{"state":"online"').reason).toBe("malformed_json");
  });
});

describe("ack payloads", () => {
  const command_id = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b";

  it("accepts ok and error acks", () => {
    expect(accept("acks", { command_id, status: "ok" })).toStrictEqual({ ...head, ack: { command_id, status: "ok" } });
    expect(accept("acks", { command_id, status: "error", error: "hz out of range" }).ack).toStrictEqual({
      command_id,
      status: "error",
      error: "hz out of range",
    });
  });

  it.each<[string, unknown, RegExp]>([
    ["a command_id that is not a UUID", { command_id: "cmd-1", status: "ok" }, /^command_id: /],
    ["a missing command_id", { status: "ok" }, /^command_id: /],
    ["an unknown status", { command_id, status: "done" }, /^status: /],
    ["a non-string error", { command_id, status: "error", error: 5 }, /^error: /],
  ])("refuses %s", (_what, payload, error) => {
    const r = reject("acks", payload);
    expect(r.reason).toBe("invalid_payload");
    expect(r.error).toMatch(error);
  });
});
