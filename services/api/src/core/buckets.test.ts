import { describe, expect, it } from "vitest";
import { bucketCount, bucketStart, parseAggs, parseBucket } from "./buckets.js";

const us = (iso: string) => Date.parse(iso) * 1000;

describe("bucket widths", () => {
  it("reads 1s to 1d in s, m, h, d", () => {
    expect(parseBucket("1s")).toStrictEqual({ ok: true, bucket: { text: "1s", seconds: 1 } });
    expect(parseBucket("5m")).toMatchObject({ bucket: { seconds: 300 } });
    expect(parseBucket("24h")).toMatchObject({ bucket: { seconds: 86_400 } });
    expect(parseBucket("1d")).toMatchObject({ bucket: { seconds: 86_400 } });
  });

  it("refuses other widths, saying what to write", () => {
    for (const t of ["0s", "2d", "25h", "1w", "1.5m", "m", "", "1 m"]) {
      const r = parseBucket(t);
      expect(r.ok, t).toBe(false);
      if (!r.ok) expect(r.error, t).toMatch(/1s\.\.1d|from 1s to 1d/);
    }
  });
});

describe("aggregate lists", () => {
  it("keeps the asked order without repeats", () => {
    expect(parseAggs("max,avg,max")).toStrictEqual({ ok: true, aggs: ["max", "avg"] });
  });
  it("names the unknown ones and the known ones", () => {
    const r = parseAggs("avg,median");
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toBe(
        'unknown aggregate "median"; use one or more of avg, min, max, sum, count, first, last separated by commas',
      );
    expect(parseAggs("").ok).toBe(false);
  });
});

describe("epoch-aligned buckets (UTC)", () => {
  it("starts buckets at multiples of the width since 1970-01-01T00:00:00Z", () => {
    expect(bucketStart(us("2026-11-23T08:07:59.999Z"), 300)).toBe(us("2026-11-23T08:05:00Z"));
    expect(bucketStart(us("2026-11-23T08:05:00Z"), 300)).toBe(us("2026-11-23T08:05:00Z"));
    // a day bucket starts at UTC midnight, whatever offset the client wrote its time in
    expect(bucketStart(us("2026-11-23T01:30:00+03:00"), 86_400)).toBe(us("2026-11-22T00:00:00Z"));
    // 7m does not divide an hour: still aligned to the epoch, not to the hour
    expect(bucketStart(us("1970-01-01T00:15:00Z"), 420)).toBe(us("1970-01-01T00:14:00Z"));
    expect(bucketStart(us("1969-12-31T23:59:59Z"), 60)).toBe(us("1969-12-31T23:59:00Z"));
  });

  it("counts the buckets a half-open range touches", () => {
    expect(bucketCount(us("2026-11-23T00:00:00Z"), us("2026-11-24T00:00:00Z"), 60)).toBe(1440);
    expect(bucketCount(us("2026-11-23T00:00:30Z"), us("2026-11-23T00:01:00Z") + 1, 60)).toBe(2);
    expect(bucketCount(us("2026-11-23T00:00:00Z"), us("2026-11-23T00:00:00Z"), 60)).toBe(0);
  });
});
