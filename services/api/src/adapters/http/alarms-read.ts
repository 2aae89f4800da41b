import { SEVERITIES } from "@sensorstream/alarms";
import { sensorIdSchema } from "@sensorstream/contracts";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { encodeCursor, pageOf } from "../../core/cursor.js";
import { alarmSchema } from "./alarms-schemas.js";
import type { Stores } from "./deps.js";
import { ApiError } from "./errors.js";
import { addRoute } from "./route.js";
import { cursorParam, limitParam, olderPage } from "./schemas.js";

const tags = ["alarms"];
export const alarmIdParams = z.strictObject({ alarm_id: z.uuid({ error: "alarm_id must be a UUID" }) });
export const alarmNotFound = (id: string) =>
  new ApiError(404, "alarm_not_found", `there is no alarm "${id}"; GET /api/alarms lists them`);

/** GET /alarms (filtered, newest raised first) and GET /alarms/:alarm_id. */
export function alarmReadRoutes(app: FastifyInstance, policy: AccessPolicy, stores: Stores): void {
  const { alarms } = stores;
  addRoute(app, policy, {
    method: "GET",
    url: "/alarms",
    access: "read",
    tags,
    summary: "Alarms, newest raised first",
    description: "open = raised or acknowledged, not cleared yet; the history (cleared) is kept.",
    query: z.strictObject({
      state: z.enum(["open", "cleared", "all"], { error: "state must be open, cleared or all" }).default("open"),
      sensor_id: sensorIdSchema.optional(),
      severity: z.enum(SEVERITIES, { error: `severity must be one of ${SEVERITIES.join(", ")}` }).optional(),
      rule_id: z.uuid({ error: "rule_id must be a UUID" }).optional(),
      limit: limitParam(100, 1000),
      before: cursorParam("alarms", ["raised_at", "alarm_id"]).optional(),
    }),
    responses: { 200: { description: "a page of alarms", schema: olderPage(alarmSchema) } },
    handler: async ({ query }) => {
      const before = query.before ? { raisedAt: query.before.raised_at, alarmId: query.before.alarm_id } : undefined;
      const rows = await alarms.listAlarms(
        { state: query.state, sensor_id: query.sensor_id, severity: query.severity, rule_id: query.rule_id },
        { limit: query.limit + 1, before },
      );
      const page = pageOf(rows, query.limit, (last) => encodeCursor("alarms", [last.raised_at, last.alarm_id]));
      return { items: page.items, next_before: page.next };
    },
  });

  addRoute(app, policy, {
    method: "GET",
    url: "/alarms/:alarm_id",
    access: "read",
    tags,
    summary: "An alarm",
    params: alarmIdParams,
    responses: { 200: { description: "the alarm", schema: alarmSchema }, 404: { description: "no such alarm" } },
    handler: async ({ params }) => {
      const a = await alarms.getAlarm(params.alarm_id);
      if (!a) throw alarmNotFound(params.alarm_id);
      return a;
    },
  });
}
