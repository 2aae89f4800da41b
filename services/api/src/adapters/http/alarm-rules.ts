import { type AlarmRule, inputOf, ruleInputSchema } from "@sensorstream/alarms";
import { describeIssues } from "@sensorstream/contracts";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { pageOf } from "../../core/cursor.js";
import { alarmRuleSchema } from "./alarms-schemas.js";
import type { Stores } from "./deps.js";
import { ApiError } from "./errors.js";
import { addRoute } from "./route.js";
import { idPage, limitParam } from "./schemas.js";

const tags = ["alarms"];
const RULE_NOTE =
  'A threshold rule: `{"name", "metric", "op": ">"|">="|"<"|"<=", "threshold", "clear_threshold"?, "for_s"?, ' +
  '"severity"?, "scope"}` or with `"op": "outside", "low", "high", "clear_low"?, "clear_high"?`. A no-data rule: ' +
  '`{"name", "kind": "no_data", "for_s", "severity"?, "scope"}` raises for an awake sensor in scope that sent no data ' +
  'for for_s (a sensor told to sleep does not raise). `scope` is one of `{"sensor_ids": [...]}`, `{"type": "..."}`, ' +
  '`{"all": true}`. Defaults: clear thresholds = the thresholds, for_s 0, severity warning, enabled true. Every ' +
  "alarm service replica applies a change within a few seconds.";

const ruleIdParams = z.strictObject({ rule_id: z.uuid({ error: "rule_id must be a UUID" }) });
const ruleNotFound = (id: string) =>
  new ApiError(404, "alarm_rule_not_found", `there is no alarm rule "${id}"; GET /api/alarm-rules lists them`);

/** A PATCH body merged onto the stored rule (null removes a field), validated whole: errors name the body's field. */
function merged(rule: AlarmRule, patch: Record<string, unknown>) {
  const input: Record<string, unknown> = { ...inputOf(rule), ...patch };
  for (const [k, v] of Object.entries(input)) if (v === null) delete input[k];
  const r = ruleInputSchema.safeParse(input);
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => ({ path: ["body", ...i.path.map(String)].join("."), message: i.message }));
  throw new ApiError(400, "invalid_body", describeIssues(r.error.issues, "body"), details);
}

/** /alarm-rules: create, list, get, update (PATCH, incl. enabled), delete. */
export function alarmRuleRoutes(app: FastifyInstance, policy: AccessPolicy, stores: Stores): void {
  const { alarms } = stores;
  addRoute(app, policy, {
    method: "POST",
    url: "/alarm-rules",
    access: "write",
    tags,
    summary: "Create an alarm rule",
    description: RULE_NOTE,
    body: ruleInputSchema,
    responses: { 201: { description: "created", schema: alarmRuleSchema } },
    handler: async ({ body, reply }) => {
      const rule = await alarms.createRule(body);
      reply.code(201);
      return rule;
    },
  });

  addRoute(app, policy, {
    method: "GET",
    url: "/alarm-rules",
    access: "read",
    tags,
    summary: "Alarm rules, in rule_id order",
    query: z.strictObject({
      limit: limitParam(100, 1000),
      after: z.uuid({ error: "after must be the next_after of the previous page" }).optional(),
    }),
    responses: { 200: { description: "a page of rules", schema: idPage(alarmRuleSchema) } },
    handler: async ({ query }) => {
      const rows = await alarms.listRules({ limit: query.limit + 1, after: query.after });
      const page = pageOf(rows, query.limit, (last) => last.rule_id);
      return { items: page.items, next_after: page.next };
    },
  });

  addRoute(app, policy, {
    method: "GET",
    url: "/alarm-rules/:rule_id",
    access: "read",
    tags,
    summary: "An alarm rule",
    params: ruleIdParams,
    responses: { 200: { description: "the rule", schema: alarmRuleSchema }, 404: { description: "no such rule" } },
    handler: async ({ params }) => {
      const rule = await alarms.getRule(params.rule_id);
      if (!rule) throw ruleNotFound(params.rule_id);
      return rule;
    },
  });

  addRoute(app, policy, {
    method: "PATCH",
    url: "/alarm-rules/:rule_id",
    access: "write",
    tags,
    summary: "Change an alarm rule, or enable/disable it",
    description:
      'The fields given replace the stored ones (`{"enabled": false}` disables it and clears its open alarms); ' +
      "null removes a field (switching op from > to outside: send `threshold: null`). The result is validated as a whole rule.",
    params: ruleIdParams,
    body: z.record(z.string(), z.unknown()).describe("any fields of the rule"),
    responses: { 200: { description: "the rule", schema: alarmRuleSchema }, 404: { description: "no such rule" } },
    handler: async ({ params, body }) => {
      const rule = await alarms.getRule(params.rule_id);
      if (!rule) throw ruleNotFound(params.rule_id);
      const updated = await alarms.updateRule(params.rule_id, merged(rule, body));
      if (!updated) throw ruleNotFound(params.rule_id);
      return updated;
    },
  });

  addRoute(app, policy, {
    method: "DELETE",
    url: "/alarm-rules/:rule_id",
    access: "write",
    tags,
    summary: "Delete an alarm rule (its open alarms are cleared; the history stays)",
    params: ruleIdParams,
    responses: { 204: { description: "deleted" }, 404: { description: "no such rule" } },
    handler: async ({ params, reply }) => {
      if (!(await alarms.deleteRule(params.rule_id))) throw ruleNotFound(params.rule_id);
      reply.code(204);
      return undefined;
    },
  });
}
