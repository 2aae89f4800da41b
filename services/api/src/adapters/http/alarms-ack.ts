import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { alarmIdParams, alarmNotFound } from "./alarms-read.js";
import { alarmSchema } from "./alarms-schemas.js";
import type { Stores } from "./deps.js";
import { ApiError } from "./errors.js";
import { addRoute } from "./route.js";

/** POST /alarms/:alarm_id/ack: a person takes the alarm (raised -> acknowledged); it still clears by itself. */
export function alarmAckRoutes(app: FastifyInstance, policy: AccessPolicy, stores: Stores): void {
  addRoute(app, policy, {
    method: "POST",
    url: "/alarms/:alarm_id/ack",
    access: "write",
    tags: ["alarms"],
    summary: "Acknowledge an open alarm",
    description:
      "Published as an `acknowledged` alert. Acknowledging an acknowledged alarm changes nothing; a cleared one is a 409.",
    params: alarmIdParams,
    // A query parameter rather than a body: acknowledging needs nothing else, so a bare POST works.
    query: z.strictObject({
      by: z.string().min(1).max(200).optional().describe("who acknowledges it (default: api)"),
    }),
    responses: {
      200: { description: "the alarm", schema: alarmSchema },
      404: { description: "no such alarm" },
      409: { description: "the alarm is cleared already" },
    },
    handler: async ({ params, query }) => {
      const r = await stores.alarms.ack(params.alarm_id, query.by ?? "api");
      if (r.ok) return r.alarm;
      if (r.reason === "not_found") throw alarmNotFound(params.alarm_id);
      throw new ApiError(409, "alarm_cleared", `alarm "${params.alarm_id}" is cleared already; nothing to acknowledge`);
    },
  });
}
