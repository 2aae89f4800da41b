import { formatMicros, sensorIdSchema } from "@sensorstream/contracts";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { parseDuration } from "../../core/duration.js";
import type { Stores } from "./deps.js";
import { sensorNotFound } from "./errors.js";
import { addRoute } from "./route.js";
import { idPage, limitParam, sensorIdParams, time } from "./schemas.js";

const tags = ["measurements"];

/** The longest activity window; the query's cost does not grow with it, the answer's age does. */
const MAX_WINDOW = { seconds: 366 * 86_400, text: "366d" };
const DEFAULT_WINDOW = "1d";

const activeWithin = z
  .string()
  .default(DEFAULT_WINDOW)
  .transform((text, ctx) => {
    const r = parseDuration(text, MAX_WINDOW);
    if (r.ok) return { text, seconds: r.seconds };
    ctx.addIssue({ code: "custom", message: r.error });
    return z.NEVER;
  })
  .meta({
    description: `only sensors with a reading this recent: a whole number and s, m, h, d or w (e.g. 90s, 15m, 12h, 30d); at most ${MAX_WINDOW.text}`,
    examples: ["15m", "12h", "30d"],
  });

export function measurementRoutes(
  app: FastifyInstance,
  policy: AccessPolicy,
  { measurements, sensors }: Stores,
  clock: () => number,
): void {
  addRoute(app, policy, {
    method: "GET",
    url: "/sensors/:id/measurements/latest",
    access: "read",
    tags,
    summary: "Latest value and time of every metric of a sensor",
    params: sensorIdParams,
    responses: {
      200: {
        description: "one entry per metric the sensor ever reported, by metric name",
        schema: z.object({
          sensor_id: z.string(),
          metrics: z.array(
            z.object({ metric: z.string(), value: z.number(), time: time("RFC 3339, UTC, microseconds") }),
          ),
        }),
      },
      404: { description: "no such sensor, and no readings stored under this id" },
    },
    handler: async ({ params }) => {
      const metrics = await measurements.latestOfSensor(params.id);
      if (metrics.length === 0 && !(await sensors.get(params.id))) throw sensorNotFound(params.id);
      return { sensor_id: params.id, metrics };
    },
  });

  addRoute(app, policy, {
    method: "GET",
    url: "/measurements/latest",
    access: "read",
    tags,
    summary: "The latest reading of every sensor active within a window",
    description:
      "For each sensor with a reading in the last `active_within` (default 1d), the values of its newest " +
      "timestamp. In sensor id order, `limit` sensors at a time; pass `next_after` back as `after`.",
    query: z.strictObject({
      active_within: activeWithin,
      limit: limitParam(1000, 5000),
      after: sensorIdSchema.optional().describe("the next_after of the previous page"),
    }),
    responses: {
      200: {
        description: "a page of sensors and their latest reading",
        schema: idPage(
          z.object({
            sensor_id: z.string(),
            time: time("RFC 3339, UTC, microseconds"),
            values: z.record(z.string(), z.number()).describe("metric -> value at that time"),
          }),
          { active_within: z.string(), since: time("readings at or after this instant count as activity") },
        ),
      },
    },
    handler: async ({ query }) => {
      const since = formatMicros((clock() - query.active_within.seconds * 1000) * 1000);
      const page = await measurements.latestReadings({ since, after: query.after, limit: query.limit });
      return { active_within: query.active_within.text, since, items: page.items, next_after: page.nextAfter ?? null };
    },
  });
}
