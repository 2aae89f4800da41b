import { formatMicros, metricNameSchema, parseRfc3339ToMicros } from "@sensorstream/contracts";
import { z } from "zod";
import { AGGS, type Agg, type Bucket, FILLS, parseAggs, parseBucket } from "../../core/buckets.js";
import { ApiError } from "./errors.js";
import { time } from "./schemas.js";

/** Shared query parameters and answers of the range, bucketed, fleet and track routes. */

/** Most raw rows (or positions) one JSON page holds; larger ranges page with `after`, or export. */
export const MAX_PAGE = 10_000;
/** Most buckets per series one JSON answer holds: e.g. 2 weeks at 1m, 2 years at 1h. Exports are not capped so. */
export const MAX_JSON_BUCKETS = 20_000;
/** Most buckets per series an export walks (a year at 10s): the empty-bucket grid is generated server-side. */
export const MAX_EXPORT_BUCKETS = 5_000_000;

export const badQuery = (field: string, message: string): ApiError =>
  new ApiError(400, "invalid_query", `query.${field}: ${message}`, [{ path: `query.${field}`, message }]);

export const metricsParam = z
  .string()
  .transform((text, ctx) => {
    const names = [...new Set(text.split(",").map((s) => s.trim()))];
    const bad = names.find((n) => !metricNameSchema.safeParse(n).success);
    if (bad !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `"${bad.slice(0, 70)}" is not a metric name (1-64 characters of A-Z a-z 0-9 _ . : / -, starting with a letter or _)`,
      });
      return z.NEVER;
    }
    if (names.length > 100) {
      ctx.addIssue({ code: "custom", message: "at most 100 metrics per query" });
      return z.NEVER;
    }
    return names;
  })
  .describe("comma-separated metric names (default: every metric); a name never stored simply has no rows");

export const bucketParam = z
  .string()
  .transform((text, ctx): Bucket => {
    const r = parseBucket(text);
    if (r.ok) return r.bucket;
    ctx.addIssue({ code: "custom", message: r.error });
    return z.NEVER;
  })
  .meta({
    description:
      "bucket width, 1s to 1d (a whole number and s, m, h or d); buckets start at multiples of it since the epoch, UTC",
    examples: ["10s", "1m", "5m", "1h", "1d"],
  });

export const aggParam = z
  .string()
  .transform((text, ctx): Agg[] => {
    const r = parseAggs(text);
    if (r.ok) return r.aggs;
    ctx.addIssue({ code: "custom", message: r.error });
    return z.NEVER;
  })
  .meta({ description: `with bucket: comma-separated aggregates of ${AGGS.join(", ")} (default avg)` });

export const fillParam = z
  .enum(FILLS, { error: `fill is one of ${FILLS.join(", ")}` })
  .describe(
    "with bucket: empty buckets are absent (none, the default), present with null aggregates (null), carry the last " +
      "value forward (previous) or are interpolated between their neighbours (linear); their count is 0",
  );

export const formatParam = <const F extends readonly [string, ...string[]]>(formats: F) =>
  z
    .enum(formats, { error: `format is one of ${formats.join(", ")}` })
    .optional()
    .describe(`json (default), or ${formats.filter((f) => f !== "json").join(" / ")}`);

/** A time in the query, normalized to microseconds since the epoch and RFC 3339 UTC. */
export const instantParam = (description: string) =>
  z
    .string()
    .transform((text, ctx) => {
      const r = parseRfc3339ToMicros(text);
      if (r.ok) return { us: r.us, text: formatMicros(r.us) };
      ctx.addIssue({ code: "custom", message: `${r.error} (e.g. 2026-11-23T08:00:00Z)` });
      return z.NEVER;
    })
    .meta({ format: "date-time", description: `${description}, RFC 3339 (e.g. 2026-11-23T08:00:00Z)` });

/** from < to, both given or `to` defaulting to now. */
export function checkSpan(from: { us: number }, to: { us: number }): void {
  if (from.us >= to.us) throw badQuery("from", "from must be before to (the range is [from, to))");
}

export const rawItem = z.object({ time: time("RFC 3339, UTC, microseconds"), metric: z.string(), value: z.number() });

export const bucketItem = (extra: z.ZodRawShape) =>
  z
    .object({ time: time("the bucket's start, RFC 3339 UTC"), ...extra })
    .catchall(z.number().nullable())
    .describe("one key per requested aggregate (null in an empty bucket with fill=null, count 0)");

/** Now, as a query time: what `to` means when left out. */
export const instantOf = (ms: number) => ({ us: ms * 1000, text: formatMicros(ms * 1000) });
