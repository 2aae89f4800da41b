import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { type Agg, bucketCount, type Fill } from "../../core/buckets.js";
import { encodeCursor, pageOf } from "../../core/cursor.js";
import { chooseRollup } from "../../core/rollups.js";
import { bucketSql, rawAllSql, rawPageSql, type Source } from "../pg/range-sql.js";
import type { RollupCatalog } from "../pg/range-store.js";
import type { Stores } from "./deps.js";
import { sensorNotFound } from "./errors.js";
import { exportName, sendExport } from "./export-reply.js";
import {
  aggParam,
  badQuery,
  bucketItem,
  bucketParam,
  checkSpan,
  fillParam,
  formatParam,
  instantOf,
  instantParam,
  MAX_EXPORT_BUCKETS,
  MAX_JSON_BUCKETS,
  MAX_PAGE,
  metricsParam,
  rawItem,
} from "./range-schemas.js";
import { addRoute } from "./route.js";
import { cursorParam, limitParam, sensorIdParams } from "./schemas.js";

const tags = ["measurements"];
const CURSOR = "measurements";

const query = z.strictObject({
  from: instantParam("start of the range, inclusive"),
  to: instantParam("end of the range, exclusive (default: now)").optional(),
  metrics: metricsParam.optional(),
  limit: limitParam(1000, MAX_PAGE).describe(`raw readings per page, 1-${MAX_PAGE} (default 1000)`),
  after: cursorParam(CURSOR, ["time", "metric"] as const)
    .describe("next_after of the previous page (raw readings only; opaque)")
    .optional(),
  bucket: bucketParam.optional(),
  agg: aggParam.optional(),
  fill: fillParam.optional(),
  format: formatParam(["json", "csv", "ndjson"]),
});

/** Where bucketed rows of this query come from: a rollup when it gives the same answer, else the raw table. */
export async function sourceFor(
  rollups: RollupCatalog,
  q: { bucketSeconds: number; fromUs: number; toUs: number; aggs: readonly Agg[] },
): Promise<Source> {
  const view = chooseRollup(q, await rollups.available());
  return view ? { kind: "rollup", view } : { kind: "raw" };
}

/** Refuses what a bucketed query cannot honour, saying what to change. */
export function checkBuckets(n: number, exporting: boolean, widen: string): void {
  const cap = exporting ? MAX_EXPORT_BUCKETS : MAX_JSON_BUCKETS;
  if (n > cap) {
    throw badQuery(
      "bucket",
      `the range holds ${n} buckets of this width, more than ${cap}${exporting ? "" : " in a JSON answer"}; ${widen}${
        exporting ? "" : ", or export it with format=csv or format=ndjson"
      }`,
    );
  }
}

/**
 * One sensor's readings over a range: raw and keyset-paginated by (time, metric), or one row per bucket and
 * metric with aggregates and gap filling; `format=csv|ndjson` streams the whole range instead of a page.
 */
export function measurementRangeRoutes(
  app: FastifyInstance,
  policy: AccessPolicy,
  { ranges, rollups, sensors }: Stores,
  clock: () => number,
): void {
  addRoute(app, policy, {
    method: "GET",
    url: "/sensors/:id/measurements",
    access: "read",
    tags,
    summary: "A sensor's readings over a time range: raw, or bucketed with aggregates; JSON, CSV or NDJSON",
    description:
      `Raw: items ordered by time then metric, at most \`limit\` (${MAX_PAGE} at most) per page; pass \`next_after\` ` +
      "back as `after`. With `bucket`: one item per bucket (its start, epoch-aligned UTC) and metric, with one key per " +
      `aggregate of \`agg\`; at most ${MAX_JSON_BUCKETS} buckets per metric in JSON. \`format=csv\` (header ` +
      "`time,metric,value` or `time,metric,<aggs>`) and `format=ndjson` (one item per line) stream the whole range " +
      "as a file.",
    params: sensorIdParams,
    query,
    responses: {
      200: {
        description: "raw page, or bucketed answer (or the export file with format=csv|ndjson)",
        schema: z.union([
          z.object({
            sensor_id: z.string(),
            items: z.array(rawItem),
            next_after: z.string().nullable().describe("pass as `after` for the next page; null on the last page"),
          }),
          z.object({ sensor_id: z.string(), bucket: z.string(), items: z.array(bucketItem({ metric: z.string() })) }),
        ]),
      },
      404: { description: "no such sensor, and no readings stored under this id" },
    },
    handler: async ({ params, query: q, reply }) => {
      const to = q.to ?? instantOf(clock());
      checkSpan(q.from, to);
      const format = q.format === "json" ? undefined : q.format;
      const exporting = format !== undefined;
      const name = (what: string) => exportName(params.id, what, q.from.text, to.text);
      if (!q.bucket) {
        if (q.agg) throw badQuery("agg", "agg needs bucket (e.g. bucket=1m&agg=avg,max); drop it for raw readings");
        if (q.fill) throw badQuery("fill", "fill needs bucket (e.g. bucket=1m&fill=previous)");
        if (format) {
          if (q.after) throw badQuery("after", "an export streams the whole range; drop after");
          // Metrics named for the primary key's sake, as for buckets.
          const metrics = q.metrics ?? (await ranges.metricsOf(params.id));
          const sql = rawAllSql({ sensorId: params.id, from: q.from.text, to: to.text, metrics });
          return sendExport(reply, ranges, {
            sql,
            columns: ["time", "metric", "value"],
            format,
            filename: name("raw"),
          });
        }
        const metrics = q.metrics ?? (await ranges.metricsOf(params.id));
        if (metrics.length === 0 && !(await sensors.get(params.id))) throw sensorNotFound(params.id);
        const rows = await ranges.rows<{ time: string; metric: string; value: number }>(
          rawPageSql({
            sensorId: params.id,
            from: q.from.text,
            to: to.text,
            metrics,
            after: q.after,
            limit: q.limit + 1,
          }),
        );
        const page = pageOf(rows, q.limit, (last) => encodeCursor(CURSOR, [last.time, last.metric]));
        return { sensor_id: params.id, items: page.items, next_after: page.next };
      }
      if (q.after) throw badQuery("after", "bucketed answers are not paged; narrow from/to instead of passing after");
      const aggs: Agg[] = q.agg ?? ["avg"];
      const fill: Fill = q.fill ?? "none";
      const n = bucketCount(q.from.us, to.us, q.bucket.seconds);
      checkBuckets(n, exporting, "use a wider bucket or a shorter range");
      const shape = { bucketSeconds: q.bucket.seconds, fromUs: q.from.us, toUs: to.us, aggs };
      const sql = bucketSql({
        sensorIds: [params.id],
        metrics: q.metrics,
        // Named for the index only (its second column): without them a range scans every metric's whole history.
        ...(q.metrics ? {} : { filterMetrics: await ranges.metricsOf(params.id) }),
        from: q.from.text,
        to: to.text,
        bucketSeconds: q.bucket.seconds,
        aggs,
        fill,
        source: await sourceFor(rollups, shape),
      });
      if (format) {
        const columns = ["time", "metric", ...aggs];
        return sendExport(reply, ranges, { sql, columns, format, filename: name(q.bucket.text) });
      }
      const rows = await ranges.rows<Record<string, unknown> & { sensor_id: string }>(sql);
      if (rows.length === 0 && !(await sensors.get(params.id))) throw sensorNotFound(params.id);
      const items = rows.map(({ sensor_id: _, ...item }) => item);
      return { sensor_id: params.id, bucket: q.bucket.text, items };
    },
  });
}
