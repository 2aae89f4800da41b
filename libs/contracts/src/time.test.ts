import { describe, expect, it } from "vitest";
import {
  epochMillisToMicros,
  formatMicros,
  MAX_TIME_US,
  MIN_TIME_US,
  microsOf,
  nowMicros,
  parseRfc3339ToMicros,
} from "./index.js";

const T = Date.UTC(2026, 10, 23, 8, 0, 0) * 1000; // 2026-11-23T08:00:00Z in microseconds

describe("formatMicros", () => {
  it.each([
    [0, "1970-01-01T00:00:00.000000Z"],
    [1, "1970-01-01T00:00:00.000001Z"],
    [999_999, "1970-01-01T00:00:00.999999Z"],
    [T + 123_456, "2026-11-23T08:00:00.123456Z"],
    [T + 120_000, "2026-11-23T08:00:00.120000Z"],
    [T + 7, "2026-11-23T08:00:00.000007Z"],
    [MAX_TIME_US - 1, "2199-12-31T23:59:59.999999Z"],
  ])("formats %d as %s", (us, text) => {
    expect(formatMicros(us)).toBe(text);
  });
});

describe("parseRfc3339ToMicros", () => {
  it("round-trips with formatMicros", () => {
    for (const us of [MIN_TIME_US, 1, T, T + 1, T + 999_999, MAX_TIME_US - 1]) {
      expect(parseRfc3339ToMicros(formatMicros(us))).toStrictEqual({ ok: true, us });
    }
  });

  it("truncates nanoseconds to microseconds (never rounds up)", () => {
    expect(parseRfc3339ToMicros("2026-11-23T08:00:00.123456789Z")).toStrictEqual({ ok: true, us: T + 123_456 });
    expect(parseRfc3339ToMicros("2026-11-23T08:00:00.999999999Z")).toStrictEqual({ ok: true, us: T + 999_999 });
    expect(parseRfc3339ToMicros("2026-11-23T08:00:00.0000009Z")).toStrictEqual({ ok: true, us: T });
    expect(parseRfc3339ToMicros("2026-11-23T08:00:00.00000199Z")).toStrictEqual({ ok: true, us: T + 1 });
  });

  it("pads short fractions", () => {
    expect(parseRfc3339ToMicros("2026-11-23T08:00:00.1Z")).toStrictEqual({ ok: true, us: T + 100_000 });
    expect(parseRfc3339ToMicros("2026-11-23T08:00:00.01Z")).toStrictEqual({ ok: true, us: T + 10_000 });
    expect(parseRfc3339ToMicros("2026-11-23T08:00:00.001Z")).toStrictEqual({ ok: true, us: T + 1_000 });
  });

  it("applies offsets, the fraction staying after the second", () => {
    expect(parseRfc3339ToMicros("2026-11-23T10:00:00.25+02:00")).toStrictEqual({ ok: true, us: T + 250_000 });
    expect(parseRfc3339ToMicros("2026-11-23T02:30:00.25-05:30")).toStrictEqual({ ok: true, us: T + 250_000 });
    expect(parseRfc3339ToMicros("2026-11-23T08:45:00+00:45")).toStrictEqual({ ok: true, us: T });
  });

  it("accepts exactly the range 1970-01-01 .. 2200-01-01 (exclusive)", () => {
    expect(parseRfc3339ToMicros("1970-01-01T00:00:00Z")).toStrictEqual({ ok: true, us: MIN_TIME_US });
    expect(parseRfc3339ToMicros("2199-12-31T23:59:59.999999Z")).toStrictEqual({ ok: true, us: MAX_TIME_US - 1 });
    expect(parseRfc3339ToMicros("2200-01-01T00:00:00Z").ok).toBe(false);
    expect(parseRfc3339ToMicros("1969-12-31T23:59:59.999999Z").ok).toBe(false);
  });

  it("does not read years 0000-0099 as 1900-1999", () => {
    // Date.UTC(70, 0, 1) is 1970-01-01: a naive parser accepts year 0070 as the epoch.
    for (const text of ["0070-01-01T00:00:00Z", "0099-06-01T00:00:00Z", "0000-01-01T00:00:00Z"]) {
      const r = parseRfc3339ToMicros(text);
      expect(r).toStrictEqual({ ok: false, error: `timestamp ${text} is outside 1970-01-01..2200-01-01` });
    }
  });

  it("explains what is wrong", () => {
    expect(parseRfc3339ToMicros("2026-11-23T08:00:00")).toStrictEqual({
      ok: false,
      error: '"2026-11-23T08:00:00" is not an RFC 3339 timestamp (e.g. 2026-11-23T08:00:00.123Z)',
    });
    expect(parseRfc3339ToMicros("2026-02-30T08:00:00Z")).toStrictEqual({
      ok: false,
      error: '"2026-02-30T08:00:00Z" is not a valid date and time',
    });
    expect(parseRfc3339ToMicros("2026-11-23T08:00:00+23:60")).toStrictEqual({
      ok: false,
      error: '"2026-11-23T08:00:00+23:60" has an invalid UTC offset',
    });
  });

  it("keeps quoted input short in errors", () => {
    const r = parseRfc3339ToMicros("x".repeat(10_000));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.length).toBeLessThan(120);
  });
});

describe("epochMillisToMicros", () => {
  it("multiplies integers in range", () => {
    expect(epochMillisToMicros(0)).toStrictEqual({ ok: true, us: 0 });
    expect(epochMillisToMicros(1_795_420_800_123)).toStrictEqual({ ok: true, us: T + 123_000 });
    expect(epochMillisToMicros(MAX_TIME_US / 1000 - 1)).toStrictEqual({ ok: true, us: MAX_TIME_US - 1000 });
  });

  it("refuses fractions, negatives and times from 2200", () => {
    expect(epochMillisToMicros(1.5)).toStrictEqual({
      ok: false,
      error: "epoch milliseconds must be an integer, got 1.5",
    });
    expect(epochMillisToMicros(Number.NaN).ok).toBe(false);
    expect(epochMillisToMicros(Number.POSITIVE_INFINITY).ok).toBe(false);
    expect(epochMillisToMicros(-1)).toStrictEqual({
      ok: false,
      error: "timestamp -1 is outside 1970-01-01..2200-01-01",
    });
    expect(epochMillisToMicros(MAX_TIME_US / 1000).ok).toBe(false);
  });
});

describe("microsOf and nowMicros", () => {
  it("microsOf parses or throws with the reason", () => {
    expect(microsOf("2026-11-23T08:00:00.000001Z")).toBe(T + 1);
    expect(() => microsOf("2026-11-23")).toThrow(/not an RFC 3339 timestamp/);
  });

  it("nowMicros is the wall clock in integer microseconds", () => {
    const before = Date.now() * 1000;
    const now = nowMicros();
    expect(Number.isSafeInteger(now)).toBe(true);
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now() * 1000);
  });

  it("the whole range stays within safe integers", () => {
    expect(Number.isSafeInteger(MAX_TIME_US)).toBe(true);
    expect(MAX_TIME_US).toBe(microsOf("2200-01-01T00:00:00+00:01") + 60_000_000);
  });
});

describe("the normalized form's fast path", () => {
  it("agrees with the general parser on well- and ill-formed normalized strings (the same instant as +00:00)", () => {
    const pad = (n: number, w: number) => String(n).padStart(w, "0");
    let seed = 11;
    const rnd = (n: number) => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      // Years around the accepted range; months, days and times a little past their limits too.
      // 0-9 fractional digits (a lone "." and a stray non-digit too, which the fast path must leave alone).
      const places = rnd(11);
      const fraction = places === 10 ? "." : places === 0 ? "" : `.${pad(rnd(10 ** places), places)}`;
      const s =
        `${pad(1965 + rnd(240), 4)}-${pad(rnd(14), 2)}-${pad(rnd(33), 2)}T${pad(rnd(26), 2)}:` +
        `${pad(rnd(62), 2)}:${pad(rnd(62), 2)}${rnd(50) === 0 ? fraction.replace(/\d$/, "x") : fraction}Z`;
      const fast = parseRfc3339ToMicros(s);
      const general = parseRfc3339ToMicros(s.replace("Z", "+00:00"));
      expect(fast.ok, s).toBe(general.ok);
      if (fast.ok && general.ok) expect(fast.us, s).toBe(general.us);
    }
    expect(parseRfc3339ToMicros("2024-02-29T00:00:00.000000Z").ok).toBe(true);
    expect(parseRfc3339ToMicros("2023-02-29T00:00:00.000000Z").ok).toBe(false);
    expect(parseRfc3339ToMicros("2026-11-23T08:00:0x.000000Z").ok).toBe(false);
    expect(parseRfc3339ToMicros("2026-11-23T08:00:00.123456789Z")).toStrictEqual(
      parseRfc3339ToMicros("2026-11-23T08:00:00.123456+00:00"),
    );
    expect(parseRfc3339ToMicros("2026-11-23T08:00:00.12Z")).toStrictEqual({
      ok: true,
      us: microsOf("2026-11-23T08:00:00.120000Z"),
    });
    expect(parseRfc3339ToMicros("2026-11-23T08:00:00.1234567x9Z").ok).toBe(false);
    expect(parseRfc3339ToMicros("2026-11-23T08:00:00.Z").ok).toBe(false);
  });

  it("formats across second boundaries and back again (the cached date part)", () => {
    // Runs and interleavings of three seconds (the date part of the last two is kept).
    const seconds = [T - 1, T + 999_999, T + 1_000_000, T + 86_400_000_000];
    const order = [0, 1, 0, 1, 1, 2, 0, 2, 1, 3, 3, 0, 2, 2, 1, 0, 3, 1, 3, 2];
    for (const us of order.map((i, k) => (seconds[i] as number) - (k % 3) * 7)) {
      expect(formatMicros(us)).toBe(
        `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 19)}.${String(us % 1_000_000).padStart(6, "0")}Z`,
      );
    }
  });
});
