import { PRESENCE_STATES } from "@sensorstream/contracts";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { encodeCursor, pageOf } from "../../core/cursor.js";
import type { Stores } from "./deps.js";
import { sensorNotFound } from "./errors.js";
import { addRoute } from "./route.js";
import { cursorParam, limitParam, olderPage, sensorIdParams, time } from "./schemas.js";
import { tags } from "./sensors-schemas.js";

const presenceEntrySchema = z.object({
  time: time("when the transition happened (RFC 3339, UTC, microseconds)"),
  state: z.enum(PRESENCE_STATES),
  previous: z.enum(PRESENCE_STATES).nullable(),
  reason: z
    .string()
    .describe("what caused it, e.g. status_online, status_offline, connected, disconnected, activity, no_data"),
});

/** A sensor's presence history, newest first. */
export function registerSensorPresenceRoutes(app: FastifyInstance, policy: AccessPolicy, { sensors }: Stores): void {
  addRoute(app, policy, {
    method: "GET",
    url: "/sensors/:id/presence",
    access: "read",
    tags,
    summary: "Presence history of a sensor, newest first",
    params: sensorIdParams,
    query: z.strictObject({
      limit: limitParam(100, 1000),
      before: cursorParam("presence", ["time", "state", "reason"]).optional(),
    }),
    responses: {
      200: {
        description: "a page of transitions",
        schema: olderPage(presenceEntrySchema),
      },
      404: { description: "no such sensor" },
    },
    handler: async ({ params, query }) => {
      const rows = await sensors.presenceHistoryPage(params.id, { limit: query.limit + 1, before: query.before });
      if (rows.length === 0 && !(await sensors.get(params.id))) throw sensorNotFound(params.id);
      const page = pageOf(rows, query.limit, (last) => encodeCursor("presence", [last.time, last.state, last.reason]));
      return { items: page.items, next_before: page.next };
    },
  });
}
