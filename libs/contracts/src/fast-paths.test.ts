import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { parseBusMessage } from "./bus-messages.js";
import { describeIssues } from "./errors.js";
import { fastDeviceReading, fastMeasurementMessage } from "./fast-paths.js";
import { MAX_READINGS_PER_MESSAGE, METRIC_NAME_PATTERN } from "./limits.js";
import {
  deviceReadingSchema,
  MAX_METRICS_PER_READING,
  measurementMessageSchema,
  normalizeReadings,
  parseDeviceReading,
  type Reading,
} from "./payloads.js";
import { epochMillisToMicros, formatMicros, MAX_TIME_US, parseRfc3339ToMicros } from "./time.js";
import { sensorIdFromRoutingKey } from "./topics.js";

/**
 * The fast paths must return exactly what zod returns for what they accept, and the parsers that use them must answer
 * exactly as zod alone did (same message, same error text) for everything: valid inputs and near misses alike.
 */

const RUNS = { numRuns: 1000 };
// Property runs take a few seconds; on a loaded machine more than vitest's default 5 s.
const SLOW = { timeout: 30_000 };
// Markers replaced in the JSON text by what JSON.stringify cannot write: 1e400 parses to Infinity, -0 to -0.
const INF = "\u0001inf";
const NEG_ZERO = "\u0001negzero";
const toText = (v: unknown): string =>
  JSON.stringify(v).replaceAll(`"${INF}"`, "1e400").replaceAll(`"${NEG_ZERO}"`, "-0");

const us = fc.integer({ min: 0, max: MAX_TIME_US - 1 });
const metricName = fc.oneof(
  fc.stringMatching(METRIC_NAME_PATTERN),
  fc.constantFrom("temperature", "value", "a.b:c/d-e", "_x"),
);
const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());

/** Values that sit just outside (or just inside) some rule of the contract. */
const BOUNDARY_VALUES: unknown[] = [
  INF,
  NEG_ZERO,
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 53,
  -90.0001,
  90,
  90.5,
  -91,
  180,
  180.5,
  -180.0001,
  "",
  "x".repeat(64),
  "x".repeat(65),
  "2026-11-23T08:00:00.000001Z",
  "2026-11-23T08:00:00Z",
  "2026-11-23t08:00:00.5+01:00",
  "2026-02-30T00:00:00.000000Z",
  "2026-11-23T24:00:00.000000Z",
  "1969-12-31T23:59:59.999999Z",
  "2200-01-01T00:00:00.000000Z",
  "2026-11-23T08:00:00.0000001Z",
  "2026-11-23T08:00:00.000001+24:00",
  1_700_000_000_000,
  1_700_000_000_000.5,
  -1_000,
  [],
  {},
  { __proto__: null, x: 1 },
  "9bad",
  "__proto__",
];
const boundaries = fc.constantFrom(...BOUNDARY_VALUES);
const tricky = fc.oneof(
  { weight: 6, arbitrary: boundaries },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 70 }) },
  { weight: 1, arbitrary: number },
);

type Path = (string | number)[];
const OPS = ["replace", "delete", "extra", "extra-proto", "rename-bad"] as const;

function pathsOf(value: unknown): Path[] {
  const paths: Path[] = [];
  const walk = (v: unknown, path: Path): void => {
    paths.push(path);
    if (Array.isArray(v)) for (const [i, x] of v.entries()) walk(x, [...path, i]);
    else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(value, []);
  return paths;
}

/** A copy of a JSON value with the node at `path` replaced, deleted, renamed, or given an extra sibling. */
function mutated(value: unknown, path: Path, how: (typeof OPS)[number], junk: unknown, key: string): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  if (path.length === 0) return how === "replace" ? junk : copy;
  // biome-ignore lint/suspicious/noExplicitAny: walking arbitrary JSON
  const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], copy);
  const last = path[path.length - 1] as string | number;
  if (how === "replace") parent[last] = junk;
  else if (how === "delete") Array.isArray(parent) ? parent.splice(last as number, 1) : delete parent[last];
  else if (Array.isArray(parent)) parent.push(junk);
  else if (how === "extra") parent[key] = junk;
  else if (how === "extra-proto") Object.defineProperty(parent, "__proto__", { value: junk, enumerable: true });
  else {
    parent[`${key}!`] = parent[last];
    delete parent[last];
  }
  return copy;
}

/** A random near miss of a valid JSON value. */
const mutate = (value: unknown, rng: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc
    .tuple(fc.constantFrom(...pathsOf(value)), fc.constantFrom(...OPS), rng, fc.string({ maxLength: 8 }))
    .map(([path, how, junk, key]) => mutated(value, path, how, junk, key));

/** Every near miss of a value: each node replaced by each boundary value, and each other change at each node. */
const everyNearMiss = (value: unknown): unknown[] =>
  pathsOf(value).flatMap((path) => [
    ...BOUNDARY_VALUES.map((junk) => mutated(value, path, "replace", junk, "")),
    ...OPS.slice(1).map((how) => mutated(value, path, how, 1, "k")),
  ]);

// ---- the bus MeasurementMessage -----------------------------------------------------------

const busReading = fc.record(
  {
    time: us.map(formatMicros),
    values: fc.dictionary(metricName, number, { maxKeys: 4 }),
    lat: fc.double({ min: -90, max: 90, noNaN: true }),
    lon: fc.double({ min: -180, max: 180, noNaN: true }),
    seq: fc.nat(),
  },
  { requiredKeys: ["time", "values"] },
);
const sensorId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/);
const validMessage = fc.record({
  msg_id: fc.string({ minLength: 1, maxLength: 64 }),
  sensor_id: sensorId,
  received_at: us.map(formatMicros),
  readings: fc.array(busReading, { minLength: 1, maxLength: 5 }),
});

/** parseBusMessage as it was before the fast path: JSON, the schema, the routing key. */
function zodBusParse(text: string, routingKey: string): ReturnType<typeof parseBusMessage> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const r = measurementMessageSchema.safeParse(json);
  if (!r.success) return { ok: false, error: describeIssues(r.error.issues) };
  if (sensorIdFromRoutingKey(routingKey) !== r.data.sensor_id) {
    return { ok: false, error: `routing key ${routingKey} does not match sensor_id ${r.data.sensor_id}` };
  }
  return { ok: true, message: r.data };
}

/** What a fast path returns for the JSON `text`, having checked that zod accepts it and returns the same. */
function fastIsZod(fast: (json: unknown) => unknown, schema: z.ZodType, text: string): unknown {
  const got = fast(JSON.parse(text));
  const zod = schema.safeParse(JSON.parse(text));
  if (got !== undefined) {
    expect(zod.success).toBe(true);
    expect(got).toStrictEqual(zod.data);
    expect(JSON.stringify(got)).toBe(JSON.stringify(zod.data));
  }
  return got;
}

function expectSameBusParse(value: unknown, routingKey: string): unknown {
  const text = toText(value);
  const fast = fastIsZod(fastMeasurementMessage, measurementMessageSchema, text);
  const r = parseBusMessage(measurementMessageSchema, Buffer.from(text), routingKey);
  const expected = zodBusParse(text, routingKey);
  expect(r).toStrictEqual(expected);
  if (r.ok && expected.ok) expect(JSON.stringify(r.message)).toBe(JSON.stringify(expected.message));
  return fast;
}

describe("fast path of measurementMessageSchema", () => {
  it("takes every valid message, and returns what zod returns", SLOW, () => {
    fc.assert(
      fc.property(validMessage, (m) => {
        expect(expectSameBusParse(m, `sensor_${m.sensor_id}.data`)).toBeDefined();
      }),
      RUNS,
    );
  });

  it("answers exactly as zod for near misses: accepted value or error text", SLOW, () => {
    const nearMiss = validMessage.chain((m) => fc.tuple(fc.constant(m), mutate(m, tricky)));
    fc.assert(
      fc.property(nearMiss, ([valid, m]) => {
        expectSameBusParse(m, `sensor_${valid.sensor_id}.data`);
      }),
      RUNS,
    );
  });

  it("answers exactly as zod for every boundary value at every place of a message", () => {
    const m = {
      msg_id: "m-1",
      sensor_id: "s-1",
      received_at: formatMicros(1),
      readings: [{ time: formatMicros(2), values: { a: 1, "b.c": -0.5 }, lat: 1, lon: 2, seq: 3 }],
    };
    for (const near of everyNearMiss(m)) expectSameBusParse(near, "sensor_s-1.data");
  });

  it("answers exactly as zod for arbitrary JSON and at the readings bound", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => void expectSameBusParse(v, "sensor_s.data")));
    const reading = { time: formatMicros(0), values: { v: 1 } };
    const head = { msg_id: "m", sensor_id: "s", received_at: formatMicros(0) };
    for (const n of [0, 1, MAX_READINGS_PER_MESSAGE, MAX_READINGS_PER_MESSAGE + 1]) {
      const fast = expectSameBusParse({ ...head, readings: Array<Reading>(n).fill(reading) }, "sensor_s.data");
      expect(fast !== undefined).toBe(n >= 1 && n <= MAX_READINGS_PER_MESSAGE);
    }
  });
});

// ---- the device reading -------------------------------------------------------------------

const metricValue = fc.oneof(number, fc.boolean());
const deviceReading = fc.record(
  {
    ts: fc.oneof(
      us.map(formatMicros),
      us.map((t) => new Date(Math.floor(t / 1000)).toISOString()),
      fc.integer({ min: 0, max: MAX_TIME_US / 1000 - 1 }),
    ),
    values: fc.dictionary(metricName, metricValue, { maxKeys: 4 }),
    value: metricValue,
    lat: fc.double({ min: -90, max: 90, noNaN: true }),
    lon: fc.double({ min: -180, max: 180, noNaN: true }),
    seq: fc.nat(),
  },
  { requiredKeys: [] },
);

function expectSameReadingParse(value: unknown): unknown {
  const text = toText(value);
  const fast = fastIsZod(fastDeviceReading, deviceReadingSchema, text);
  const zod = deviceReadingSchema.safeParse(JSON.parse(text));
  const r = parseDeviceReading(JSON.parse(text));
  expect(r.success).toBe(zod.success);
  if (r.success && zod.success) expect(r.data).toStrictEqual(zod.data);
  if (!r.success && !zod.success) expect(describeIssues(r.issues, "[3]")).toBe(describeIssues(zod.error.issues, "[3]"));
  expect(normalizeReadings(JSON.parse(text), 5)).toStrictEqual(zodNormalizeReadings(JSON.parse(text), 5));
  return fast;
}

describe("fast path of deviceReadingSchema", () => {
  it("takes every valid reading, and returns what zod returns", SLOW, () => {
    fc.assert(
      fc.property(deviceReading, (r) => void expect(expectSameReadingParse(r)).toBeDefined()),
      RUNS,
    );
  });

  it("answers exactly as zod for every boundary value at every place of a reading", () => {
    const withValues = { ts: "2026-11-23T08:00:00.123Z", values: { a: 1, b: true }, lat: 1, lon: 2, seq: 3 };
    const withValue = { ts: 1_700_000_000_000, value: false };
    for (const near of [...everyNearMiss(withValues), ...everyNearMiss(withValue)]) expectSameReadingParse(near);
  });

  it("answers exactly as zod for near misses, alone and in arrays", SLOW, () => {
    const nearMiss = fc.array(deviceReading, { minLength: 1, maxLength: 3 }).chain((rs) => mutate(rs, tricky));
    fc.assert(
      fc.property(nearMiss, (v) => {
        if (Array.isArray(v)) v.forEach(expectSameReadingParse);
        expectSameReadingParse(v);
      }),
      RUNS,
    );
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => void expectSameReadingParse(v)));
  });
});

// ---- normalizeReadings as it was before the fast path, the oracle of the gateway side ------

type Rejected = { ok: false; reason: "invalid_payload"; error: string };
function zodNormalizeReadings(json: unknown, receivedUs: number): { ok: true; readings: Reading[] } | Rejected {
  const items = Array.isArray(json) ? json : [json];
  const bad = (error: string): Rejected => ({ ok: false, reason: "invalid_payload", error });
  if (items.length === 0) return bad("an empty array holds no readings");
  if (items.length > MAX_READINGS_PER_MESSAGE) return bad(`${items.length} readings in one message; at most 10000`);
  const readings: Reading[] = [];
  for (const [i, item] of items.entries()) {
    const where = Array.isArray(json) ? `[${i}]` : "";
    const r = deviceReadingSchema.safeParse(item);
    if (!r.success) return bad(describeIssues(r.error.issues, where));
    const d = r.data;
    const ts = d.ts;
    const time =
      ts === undefined
        ? { ok: true as const, us: receivedUs }
        : typeof ts === "number"
          ? epochMillisToMicros(ts)
          : parseRfc3339ToMicros(ts);
    if (!time.ok) return bad(`${where ? `${where}.` : ""}ts: ${time.error}`);
    if (d.value !== undefined && d.values !== undefined)
      return bad(`${where || "reading"}: use "values" or "value", not both`);
    const source = d.values ?? (d.value === undefined ? {} : { value: d.value });
    const names = Object.keys(source);
    if (names.length > MAX_METRICS_PER_READING)
      return bad(`${where || "reading"}: ${names.length} metrics; at most 256`);
    const values = Object.fromEntries(names.map((n) => [n, Number(source[n])]));
    if ((d.lat === undefined) !== (d.lon === undefined)) return bad(`${where || "reading"}: lat and lon come together`);
    if (names.length === 0 && d.lat === undefined)
      return bad(`${where || "reading"}: no "values", "value" or "lat"/"lon": nothing to store`);
    const reading: Reading = { time: formatMicros(time.us), values };
    if (d.lat !== undefined && d.lon !== undefined) Object.assign(reading, { lat: d.lat, lon: d.lon });
    if (d.seq !== undefined) reading.seq = d.seq;
    readings.push(reading);
  }
  return { ok: true, readings };
}
