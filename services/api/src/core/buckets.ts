/**
 * The vocabulary of bucketed queries: bucket widths, aggregates and fill modes, and the caps that keep one
 * answer bounded. Pure: the routes parse with these, the SQL builders trust what they produce.
 */

export const AGGS = ["avg", "min", "max", "sum", "count", "first", "last"] as const;
export type Agg = (typeof AGGS)[number];

export const FILLS = ["none", "null", "previous", "linear"] as const;
export type Fill = (typeof FILLS)[number];

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
const BUCKET = /^([0-9]{1,5})([smhd])$/;
const MIN_BUCKET_S = 1;
const MAX_BUCKET_S = 86_400;

export type Bucket = { text: string; seconds: number };

/** `1s` … `1d`: a whole number and s, m, h or d. Buckets start at multiples of the width since the epoch (UTC). */
export function parseBucket(text: string): { ok: true; bucket: Bucket } | { ok: false; error: string } {
  const m = BUCKET.exec(text);
  if (!m) {
    return {
      ok: false,
      error: `"${text.slice(0, 20)}" is not a bucket width; write a whole number and s, m, h or d, from 1s to 1d (e.g. 10s, 1m, 5m, 1h, 1d)`,
    };
  }
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
  if (seconds < MIN_BUCKET_S || seconds > MAX_BUCKET_S) {
    return { ok: false, error: `bucket "${text}" is outside 1s..1d; pick a width from 1s to 1d` };
  }
  return { ok: true, bucket: { text, seconds } };
}

/** A comma-separated aggregate list, each known, no repeats, kept in the order asked. */
export function parseAggs(text: string): { ok: true; aggs: Agg[] } | { ok: false; error: string } {
  const names = text.split(",").map((s) => s.trim());
  const unknown = names.filter((n) => !(AGGS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    return {
      ok: false,
      error: `unknown aggregate ${unknown.map((u) => `"${u.slice(0, 20)}"`).join(", ")}; use one or more of ${AGGS.join(", ")} separated by commas`,
    };
  }
  return { ok: true, aggs: [...new Set(names as Agg[])] };
}

/** The epoch-aligned start of the bucket holding `us` (microseconds since the epoch, may be negative). */
export function bucketStart(us: number, bucketSeconds: number): number {
  const width = bucketSeconds * 1_000_000;
  return Math.floor(us / width) * width;
}

/** How many buckets `[from, to)` touches (the first may start before `from`). */
export function bucketCount(fromUs: number, toUs: number, bucketSeconds: number): number {
  if (toUs <= fromUs) return 0;
  const width = bucketSeconds * 1_000_000;
  return Math.floor((toUs - 1 - bucketStart(fromUs, bucketSeconds)) / width) + 1;
}
