import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { encodeCursor } from "../../core/cursor.js";
import { LOG_LEVELS, levelsAtLeast } from "../pg/log-store.js";
import type { Stores } from "./deps.js";
import { sensorNotFound } from "./errors.js";
import { addRoute } from "./route.js";
import { cursorParam, limitParam, olderPage, sensorIdParams, time, timeParam } from "./schemas.js";

const logLineSchema = z.object({
  time: time("when the sensor logged it (RFC 3339, UTC, microseconds)"),
  level: z.enum(LOG_LEVELS),
  msg: z.string(),
  fields: z.record(z.string(), z.unknown()).describe("the other fields of the log entry"),
});

const logsQuery = z
  .strictObject({
    from: timeParam("only lines at or after this time").optional(),
    to: timeParam("only lines before this time").optional(),
    level: z
      .enum(LOG_LEVELS, { error: `level must be one of ${LOG_LEVELS.join(", ")}` })
      .optional()
      .describe("this level or more severe: warn returns warn and error"),
    limit: limitParam(100, 1000),
    before: cursorParam("logs", ["time", "level", "msgHash"]).optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: "from must be earlier than to",
    path: ["from"],
  });

export function logRoutes(app: FastifyInstance, policy: AccessPolicy, { logs, sensors }: Stores): void {
  addRoute(app, policy, {
    method: "GET",
    url: "/sensors/:id/logs",
    access: "read",
    tags: ["logs"],
    summary: "What a sensor logged, newest first",
    description:
      "`from` is inclusive, `to` exclusive. Pages follow `next_before`; new lines arriving meanwhile do not shift them.",
    params: sensorIdParams,
    query: logsQuery,
    responses: {
      200: {
        description: "a page of log lines",
        schema: olderPage(logLineSchema),
      },
      404: { description: "no such sensor, and no lines stored under this id" },
    },
    handler: async ({ params, query }) => {
      const page = await logs.page(params.id, {
        from: query.from,
        to: query.to,
        levels: query.level ? levelsAtLeast(query.level) : undefined,
        before: query.before,
        limit: query.limit,
      });
      // Lines of a sensor that was deleted without its data, or never registered, stay readable by id.
      if (page.items.length === 0 && !(await sensors.get(params.id)) && !(await logs.any(params.id))) {
        throw sensorNotFound(params.id);
      }
      const n = page.next;
      return { items: page.items, next_before: n ? encodeCursor("logs", [n.time, n.level, n.msgHash]) : null };
    },
  });
}
