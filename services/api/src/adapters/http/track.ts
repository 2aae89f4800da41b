import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { encodeCursor, pageOf } from "../../core/cursor.js";
import { trackSql } from "../pg/range-sql.js";
import type { Stores } from "./deps.js";
import { sensorNotFound } from "./errors.js";
import { checkSpan, formatParam, instantOf, instantParam, MAX_PAGE } from "./range-schemas.js";
import { addRoute } from "./route.js";
import { cursorParam, limitParam, sensorIdParams, time } from "./schemas.js";

const CURSOR = "track";
type Position = { time: string; lat: number; lon: number };

/**
 * GeoJSON (RFC 7946) of a page of positions: one Feature, a LineString in time order (a Point for a single
 * position, none for none), with the positions' times alongside. Coordinates are [lon, lat], as GeoJSON orders them.
 */
function geoJson(sensorId: string, items: readonly Position[], next: string | null) {
  const coordinates = items.map((p) => [p.lon, p.lat]);
  const geometry =
    coordinates.length === 1 ? { type: "Point", coordinates: coordinates[0] } : { type: "LineString", coordinates };
  return {
    type: "FeatureCollection",
    features:
      items.length === 0
        ? []
        : [{ type: "Feature", geometry, properties: { sensor_id: sensorId, times: items.map((p) => p.time) } }],
    next_after: next,
  };
}

/** GET /api/sensors/{id}/track: where a sensor was (positions of readings with lat/lon), as JSON or GeoJSON. */
export function trackRoutes(
  app: FastifyInstance,
  policy: AccessPolicy,
  { ranges, sensors }: Stores,
  clock: () => number,
): void {
  addRoute(app, policy, {
    method: "GET",
    url: "/sensors/:id/track",
    access: "read",
    tags: ["measurements"],
    summary: "A sensor's GPS track over a time range, as JSON or GeoJSON",
    description:
      `Positions in time order, \`limit\` (at most ${MAX_PAGE}) per page; pass \`next_after\` back as \`after\`. ` +
      "`format=geojson` answers a FeatureCollection (application/geo+json) with one LineString of the page, its times in " +
      "`properties.times`.",
    params: sensorIdParams,
    query: z.strictObject({
      from: instantParam("start of the range, inclusive"),
      to: instantParam("end of the range, exclusive (default: now)").optional(),
      limit: limitParam(1000, MAX_PAGE).describe(`positions per page, 1-${MAX_PAGE} (default 1000)`),
      after: cursorParam(CURSOR, ["time"] as const)
        .describe("next_after of the previous page (opaque)")
        .optional(),
      format: formatParam(["json", "geojson"]),
    }),
    responses: {
      200: {
        description: "a page of positions (JSON), or a GeoJSON FeatureCollection with format=geojson",
        schema: z.object({
          sensor_id: z.string(),
          items: z.array(z.object({ time: time("RFC 3339, UTC, microseconds"), lat: z.number(), lon: z.number() })),
          next_after: z.string().nullable(),
        }),
      },
      404: { description: "no such sensor, and no positions stored under this id in the range" },
    },
    handler: async ({ params, query: q, reply }) => {
      const to = q.to ?? instantOf(clock());
      checkSpan(q.from, to);
      const rows = await ranges.rows<Position>(
        trackSql({ sensorId: params.id, from: q.from.text, to: to.text, after: q.after?.time, limit: q.limit + 1 }),
      );
      if (rows.length === 0 && !(await sensors.get(params.id))) throw sensorNotFound(params.id);
      const page = pageOf(rows, q.limit, (last) => encodeCursor(CURSOR, [last.time]));
      if (q.format === "geojson") {
        reply.header("content-type", "application/geo+json");
        return geoJson(params.id, page.items, page.next);
      }
      return { sensor_id: params.id, items: page.items, next_after: page.next };
    },
  });
}
