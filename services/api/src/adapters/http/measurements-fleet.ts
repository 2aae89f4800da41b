import { metricNameSchema, sensorIdSchema } from "@sensorstream/contracts";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { type Agg, bucketCount } from "../../core/buckets.js";
import { pageOf } from "../../core/cursor.js";
import { bucketSql, sensorsOfTypeSql } from "../pg/range-sql.js";
import type { Stores } from "./deps.js";
import { exportName, sendExport } from "./export-reply.js";
import { checkBuckets, sourceFor } from "./measurements-range.js";
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
} from "./range-schemas.js";
import { addRoute } from "./route.js";
import { label } from "./schemas.js";

/** Sensors per page, and buckets × sensors one JSON page may hold (e.g. 100 sensors × a day at 1m). */
const MAX_SENSORS = 1000;
const MAX_PAGE_CELLS = 200_000;
/** Sensors one export walks (a type with more is exported page by page with after). */
const MAX_EXPORT_SENSORS = 10_000;

const idList = z
  .string()
  .transform((text, ctx) => {
    const ids = [...new Set(text.split(",").map((s) => s.trim()))].sort();
    const bad = ids.find((id) => !sensorIdSchema.safeParse(id).success);
    if (bad !== undefined) {
      ctx.addIssue({ code: "custom", message: `"${bad.slice(0, 70)}" is not a sensor id` });
      return z.NEVER;
    }
    if (ids.length > MAX_EXPORT_SENSORS) {
      ctx.addIssue({
        code: "custom",
        message: `at most ${MAX_EXPORT_SENSORS} sensor ids; use type= for a larger fleet`,
      });
      return z.NEVER;
    }
    return ids;
  })
  .describe("comma-separated sensor ids");

/**
 * GET /api/measurements: one metric, bucketed, across many sensors (a fleet chart). Sensors come from a list or a
 * type, `limit` per page in id order (`next_after` → `after`); an export walks every matching sensor at once.
 */
export function measurementFleetRoutes(
  app: FastifyInstance,
  policy: AccessPolicy,
  { ranges, rollups }: Stores,
  clock: () => number,
): void {
  addRoute(app, policy, {
    method: "GET",
    url: "/measurements",
    access: "read",
    tags: ["measurements"],
    summary: "One metric across many sensors, bucketed (a fleet chart), a page of sensors at a time; or exported",
    description:
      "Name the sensors with `sensor_ids` or `type` (one of them). Items are ordered by time, then sensor id, one per " +
      `bucket and sensor with one key per aggregate. At most ${MAX_SENSORS} sensors per page and ` +
      `${MAX_PAGE_CELLS} buckets × sensors per JSON page. \`format=csv|ndjson\` streams every matching sensor ` +
      `(at most ${MAX_EXPORT_SENSORS}).`,
    query: z.strictObject({
      sensor_ids: idList.optional(),
      type: label("type").optional(),
      metric: metricNameSchema.describe("the metric to chart"),
      from: instantParam("start of the range, inclusive"),
      to: instantParam("end of the range, exclusive (default: now)").optional(),
      bucket: bucketParam,
      agg: aggParam.optional(),
      fill: fillParam.optional(),
      limit: z.coerce
        .number({ error: `limit must be a whole number from 1 to ${MAX_SENSORS}` })
        .int()
        .min(1)
        .max(MAX_SENSORS)
        .default(100)
        .describe(`sensors per page, 1-${MAX_SENSORS} (default 100)`),
      after: sensorIdSchema.optional().describe("the next_after of the previous page"),
      format: formatParam(["json", "csv", "ndjson"]),
    }),
    responses: {
      200: {
        description: "a page of sensors' buckets (or the export file with format=csv|ndjson)",
        schema: z.object({
          metric: z.string(),
          bucket: z.string(),
          items: z.array(bucketItem({ sensor_id: z.string() })),
          next_after: z.string().nullable().describe("pass as `after` for the next sensors; null on the last page"),
        }),
      },
    },
    handler: async ({ query: q, reply }) => {
      if ((q.sensor_ids === undefined) === (q.type === undefined)) {
        throw badQuery(
          "sensor_ids",
          "name the sensors with either sensor_ids=a,b,… or type=…, not both and not neither",
        );
      }
      const to = q.to ?? instantOf(clock());
      checkSpan(q.from, to);
      const format = q.format === "json" ? undefined : q.format;
      const aggs: Agg[] = q.agg ?? ["avg"];
      const n = bucketCount(q.from.us, to.us, q.bucket.seconds);
      checkBuckets(n, format !== undefined, "use a wider bucket or a shorter range");
      if (!format && n * q.limit > MAX_PAGE_CELLS) {
        throw badQuery(
          "limit",
          `${q.limit} sensors × ${n} buckets is more than ${MAX_PAGE_CELLS} per page; lower limit to ${Math.max(1, Math.floor(MAX_PAGE_CELLS / n))} or use a wider bucket`,
        );
      }
      const take = format ? MAX_EXPORT_SENSORS : q.limit + 1;
      const after = q.after ?? "";
      const ids = q.sensor_ids
        ? q.sensor_ids.filter((id) => id > after).slice(0, take)
        : (await ranges.rows<{ id: string }>(sensorsOfTypeSql(q.type ?? "", after, take))).map((r) => r.id);
      const page = format ? { items: ids, next: null } : pageOf(ids, q.limit, (last) => last);
      const shape = { bucketSeconds: q.bucket.seconds, fromUs: q.from.us, toUs: to.us, aggs };
      const sql = bucketSql({
        sensorIds: page.items,
        metrics: [q.metric],
        from: q.from.text,
        to: to.text,
        bucketSeconds: q.bucket.seconds,
        aggs,
        fill: q.fill ?? "none",
        source: await sourceFor(rollups, shape),
      });
      if (format) {
        const filename = exportName("fleet", q.metric, q.bucket.text, q.from.text, to.text);
        return sendExport(reply, ranges, { sql, columns: ["time", "sensor_id", ...aggs], format, filename });
      }
      const rows = page.items.length === 0 ? [] : await ranges.rows<Record<string, unknown>>(sql);
      const items = rows.map(({ metric: _, ...item }) => item);
      return { metric: q.metric, bucket: q.bucket.text, items, next_after: page.next };
    },
  });
}
