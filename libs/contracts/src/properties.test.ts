import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEVICE_KINDS,
  type DeviceKind,
  type DeviceParseResult,
  deviceTopicFor,
  formatMicros,
  logMessageSchema,
  MAX_TIME_US,
  METRIC_NAME_PATTERN,
  MIN_TIME_US,
  measurementMessageSchema,
  parseDevicePayload,
  parseDeviceTopic,
  parseRfc3339ToMicros,
  REJECT_REASONS,
  routingKeyFor,
  SENSOR_ID_PATTERN,
  sensorIdFromRoutingKey,
} from "./index.js";

const KINDS = Object.keys(DEVICE_KINDS) as DeviceKind[];
const ctx = { sensor_id: "s-1", msg_id: "m-1", received_us: Date.UTC(2026, 10, 23, 8) * 1000 };
const kind = fc.constantFrom(...KINDS);

/** Either a parsed message of the asked kind or a rejection with a known reason and something to read. */
function expectWellFormed(r: DeviceParseResult, k: DeviceKind): void {
  if (r.ok) {
    expect(r.kind).toBe(k);
    expect(r.message.sensor_id).toBe(ctx.sensor_id);
  } else {
    expect(REJECT_REASONS).toContain(r.reason);
    expect(typeof r.error).toBe("string");
    expect(r.error.length).toBeGreaterThan(0);
  }
}

describe("parseDeviceTopic never throws", () => {
  const segment = fc.oneof(
    fc.string({ unit: "binary", maxLength: 80 }),
    fc.stringMatching(SENSOR_ID_PATTERN),
    fc.constantFrom("+", "#", "", ".", "a.b", ...KINDS, "commands", "__proto__"),
  );

  it("for arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (topic) => {
        const r = parseDeviceTopic(topic);
        if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
      }),
    );
  });

  it("for topics shaped like sensors/<x>/<y>, and what it accepts is exactly the documented set", () => {
    fc.assert(
      fc.property(segment, segment, (id, k) => {
        const topic = `sensors/${id}/${k}`;
        const r = parseDeviceTopic(topic);
        const valid =
          !id.includes("/") && !k.includes("/") && SENSOR_ID_PATTERN.test(id) && Object.hasOwn(DEVICE_KINDS, k);
        expect(r.ok).toBe(valid);
        if (r.ok) {
          expect(r.routing_key).toBe(routingKeyFor(r.sensor_id, r.kind));
          expect(sensorIdFromRoutingKey(r.routing_key)).toBe(r.sensor_id);
          expect(deviceTopicFor(r.sensor_id, r.kind)).toBe(topic);
        } else {
          expect(r.error.length).toBeGreaterThan(0);
        }
      }),
    );
  });

  it("sensorIdFromRoutingKey never throws and only returns valid ids", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.string().map((s) => `sensor_${s}`),
        ),
        (key) => {
          const id = sensorIdFromRoutingKey(key);
          if (id !== undefined) expect(SENSOR_ID_PATTERN.test(id)).toBe(true);
        },
      ),
    );
  });
});

describe("parseDevicePayload never throws", () => {
  it("for arbitrary bytes", () => {
    fc.assert(
      fc.property(kind, fc.uint8Array({ maxLength: 512 }), (k, bytes) => {
        expectWellFormed(parseDevicePayload(k, bytes, ctx), k);
      }),
    );
  });

  it("for arbitrary strings", () => {
    fc.assert(
      fc.property(kind, fc.string({ unit: "binary", maxLength: 300 }), (k, text) => {
        expectWellFormed(parseDevicePayload(k, Buffer.from(text), ctx), k);
      }),
    );
  });

  it("for arbitrary JSON values", () => {
    fc.assert(
      fc.property(kind, fc.jsonValue({ maxDepth: 4 }), (k, value) => {
        const r = parseDevicePayload(k, Buffer.from(JSON.stringify(value)), ctx);
        expectWellFormed(r, k);
        // A bare JSON scalar is never a valid message of any kind.
        if (value === null || typeof value !== "object") expect(r.ok).toBe(false);
      }),
    );
  });

  it("for objects with the expected keys holding arbitrary JSON", () => {
    const anyJson = fc.jsonValue({ maxDepth: 2 });
    const keys = [
      "ts",
      "value",
      "values",
      "lat",
      "lon",
      "seq",
      "level",
      "msg",
      "state",
      "mode",
      "sample_hz",
      "command_id",
      "status",
      "error",
      "__proto__",
    ];
    const object = fc.dictionary(fc.constantFrom(...keys), anyJson, { maxKeys: 8 });
    fc.assert(
      fc.property(kind, fc.oneof(object, fc.array(object, { maxLength: 4 })), (k, value) => {
        const r = parseDevicePayload(k, Buffer.from(JSON.stringify(value)), ctx);
        expectWellFormed(r, k);
        if (!r.ok) expect(["malformed_json", "invalid_payload"]).toContain(r.reason);
      }),
    );
  });
});

// ---- valid readings round-trip ------------------------------------------------------------

/** A reading a device may send, with the normalized time and values it must come out as. */
type Case = { sent: Record<string, unknown>; time: string; values: Record<string, number> };

const MINUTE_US = 60_000_000;
const floorDiv = (a: number, b: number) => Math.floor(a / b);

/** An RFC 3339 rendering of `us` at some offset with 0-9 fractional digits, and the instant it denotes. */
const rfc3339 = fc
  .record({
    us: fc.integer({ min: MIN_TIME_US + 1_000_000, max: MAX_TIME_US - 1 }),
    offsetMinutes: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
    digits: fc.integer({ min: 0, max: 9 }),
    nanos: fc.integer({ min: 0, max: 999 }),
    zulu: fc.boolean(),
  })
  .map(({ us, offsetMinutes, digits, nanos, zulu }) => {
    const offset = zulu ? 0 : offsetMinutes;
    const localUs = us + offset * MINUTE_US;
    const wholeMs = floorDiv(localUs, 1_000_000) * 1000;
    const fraction6 = String(localUs - wholeMs * 1000).padStart(6, "0");
    const fraction = `${fraction6}${String(nanos).padStart(3, "0")}`.slice(0, digits);
    const abs = Math.abs(offset);
    const zone = zulu
      ? "Z"
      : `${offset < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
    const text = `${new Date(wholeMs).toISOString().slice(0, 19)}${digits ? `.${fraction}` : ""}${zone}`;
    // What survives: the fraction truncated to `digits` (at most 6) digits.
    const kept = 10 ** (6 - Math.min(digits, 6));
    const expectedUs = floorDiv(localUs, kept) * kept - offset * MINUTE_US;
    return { text, us: expectedUs };
  });

const metricValue = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.integer());

const validReading: fc.Arbitrary<Case> = fc
  .record(
    {
      ts: fc.oneof(
        rfc3339.map((t) => ({ ts: t.text as string | number, us: t.us })),
        fc.integer({ min: 0, max: MAX_TIME_US / 1000 - 1 }).map((ms) => ({ ts: ms, us: ms * 1000 })),
      ),
      values: fc.oneof(
        fc.dictionary(fc.stringMatching(METRIC_NAME_PATTERN), metricValue, { minKeys: 1, maxKeys: 8 }),
        metricValue.map((v) => ({ value: v })),
      ),
      shorthand: fc.boolean(),
      position: fc.record({
        lat: fc.double({ min: -90, max: 90, noNaN: true }),
        lon: fc.double({ min: -180, max: 180, noNaN: true }),
      }),
      seq: fc.nat(),
    },
    { requiredKeys: ["values", "shorthand"] },
  )
  .filter(({ values }) => !Object.hasOwn(values, "__proto__"))
  .map(({ ts, values, shorthand, position, seq }) => {
    const sent: Record<string, unknown> = {};
    if (ts !== undefined) sent.ts = ts.ts;
    const names = Object.keys(values);
    if (shorthand && names.length === 1 && names[0] === "value") sent.value = values.value;
    else sent.values = values;
    if (position) Object.assign(sent, position);
    if (seq !== undefined) sent.seq = seq;
    // JSON has no -0; booleans are stored as 0/1.
    const expected = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, typeof v === "boolean" ? Number(v) : v === 0 ? 0 : v]),
    );
    return { sent, time: formatMicros(ts?.us ?? ctx.received_us), values: expected };
  });

describe("valid readings", () => {
  it("parse, and their time, values, position and seq round-trip", () => {
    fc.assert(
      fc.property(fc.array(validReading, { minLength: 1, maxLength: 5 }), fc.boolean(), (cases, asArray) => {
        const sent = asArray || cases.length > 1 ? cases.map((c) => c.sent) : cases[0]?.sent;
        const r = parseDevicePayload("data", Buffer.from(JSON.stringify(sent)), ctx);
        if (!r.ok) throw new Error(`${r.reason}: ${r.error} for ${JSON.stringify(sent)}`);
        if (r.kind !== "data") throw new Error(`parsed as ${r.kind}`);
        expect(r.message.readings).toHaveLength(cases.length);
        r.message.readings.forEach((reading, i) => {
          const c = cases[i] as Case;
          const expected: Record<string, unknown> = { time: c.time, values: c.values };
          // Through JSON, as a device sends it (-0 becomes 0).
          for (const key of ["lat", "lon", "seq"])
            if (key in c.sent) expected[key] = JSON.parse(JSON.stringify(c.sent[key]));
          expect(reading).toStrictEqual(expected);
        });
        // The normalized message is valid on the bus, through a JSON round trip.
        const onTheWire = JSON.parse(JSON.stringify(r.message));
        expect(measurementMessageSchema.parse(onTheWire)).toStrictEqual(r.message);
      }),
    );
  });

  it("log entries with arbitrary messages and extra fields round-trip", () => {
    const reserved = new Set(["ts", "level", "msg", "__proto__"]);
    const extra = fc
      .dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
      .map((d) => Object.fromEntries(Object.entries(d).filter(([k]) => !reserved.has(k))));
    // PostgreSQL cannot store U+0000, so a line holding one is refused (payloads.test.ts).
    const hasNul = (v: unknown): boolean =>
      typeof v === "string"
        ? v.includes("\u0000")
        : v !== null && typeof v === "object" && Object.entries(v).some(([k, x]) => hasNul(k) || hasNul(x));
    const entry = fc
      .record({
        level: fc.constantFrom("debug", "info", "warn", "error"),
        msg: fc.string({ unit: "binary", maxLength: 100 }),
        ts: rfc3339,
        extra,
      })
      .filter((e) => !hasNul(e.msg) && !hasNul(e.extra));
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 4 }), (entries) => {
        const sent = entries.map((e) => ({ ...e.extra, ts: e.ts.text, level: e.level, msg: e.msg }));
        const r = parseDevicePayload("logs", Buffer.from(JSON.stringify(sent)), ctx);
        if (!r.ok) throw new Error(`${r.reason}: ${r.error}`);
        if (r.kind !== "logs") throw new Error(`parsed as ${r.kind}`);
        expect(r.message.entries).toStrictEqual(
          entries.map((e) => ({
            time: formatMicros(e.ts.us),
            level: e.level,
            msg: e.msg,
            fields: JSON.parse(JSON.stringify(e.extra)),
          })),
        );
        expect(logMessageSchema.parse(JSON.parse(JSON.stringify(r.message)))).toStrictEqual(r.message);
      }),
    );
  });
});

describe("time", () => {
  const instant = fc.integer({ min: MIN_TIME_US, max: MAX_TIME_US - 1 });

  it("format -> parse round-trips every microsecond instant in range", () => {
    fc.assert(
      fc.property(instant, (us) => {
        const text = formatMicros(us);
        expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
        expect(parseRfc3339ToMicros(text)).toStrictEqual({ ok: true, us });
      }),
    );
  });

  it("formatMicros agrees with Date at millisecond precision and sorts like the instants", () => {
    fc.assert(
      fc.property(instant, instant, (a, b) => {
        expect(formatMicros(a).slice(0, 23)).toBe(new Date(Math.floor(a / 1000)).toISOString().slice(0, 23));
        const [x, y] = [formatMicros(a), formatMicros(b)];
        expect(x < y ? -1 : x > y ? 1 : 0).toBe(Math.sign(a - b));
      }),
    );
  });

  it("parses any rendering (offset, 0-9 digits) to the instant it denotes, truncated to microseconds", () => {
    fc.assert(
      fc.property(rfc3339, ({ text, us }) => {
        expect(parseRfc3339ToMicros(text)).toStrictEqual({ ok: true, us });
      }),
    );
  });
});
