import { metricNameSchema, sensorIdSchema } from "@sensorstream/contracts";
import { z } from "zod";

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];
export const OPS = [">", ">=", "<", "<=", "outside"] as const;
export type Op = (typeof OPS)[number];
export const RULE_KINDS = ["threshold", "no_data"] as const;
/** A rule names at most this many sensors (larger fleets: scope by type or all). */
const MAX_SCOPE_IDS = 10_000;
/** for_s is at most a day. */
export const MAX_FOR_S = 86_400;

export type Scope = { sensor_ids: string[] } | { type: string } | { all: true };

export type ThresholdSpec = {
  kind: "threshold";
  metric: string;
  severity: Severity;
  for_s: number;
  scope: Scope;
} & (
  | { op: ">" | ">=" | "<" | "<="; threshold: number; clear_threshold: number }
  | { op: "outside"; low: number; high: number; clear_low: number; clear_high: number }
);
export type NoDataSpec = { kind: "no_data"; severity: Severity; for_s: number; scope: Scope };
/** What a rule decides, as stored in alarm_rules.spec (everything but name and enabled). */
export type RuleSpec = ThresholdSpec | NoDataSpec;

const num = (field: string) => z.number({ error: `${field} must be a number` });

/**
 * The body of POST /api/alarm-rules (and a PATCH merged onto the stored rule). Every field is optional in the
 * object so that the checks below can name exactly the field that is missing or contradicts another one
 * (a union would answer "invalid input" for the whole body).
 */
export const ruleInputSchema = z
  .strictObject({
    name: z.string().min(1, "name cannot be empty").max(200, "name is at most 200 characters"),
    kind: z.enum(RULE_KINDS, { error: "kind must be threshold or no_data" }).default("threshold"),
    enabled: z.boolean({ error: "enabled must be true or false" }).default(true),
    metric: metricNameSchema.optional(),
    op: z.enum(OPS, { error: `op must be one of ${OPS.join(" ")}` }).optional(),
    threshold: num("threshold").optional(),
    clear_threshold: num("clear_threshold").optional(),
    low: num("low").optional(),
    high: num("high").optional(),
    clear_low: num("clear_low").optional(),
    clear_high: num("clear_high").optional(),
    for_s: z
      .number({ error: "for_s must be a number of seconds" })
      .min(0, "for_s cannot be negative")
      .max(MAX_FOR_S, `for_s is at most ${MAX_FOR_S}`)
      .default(0),
    severity: z.enum(SEVERITIES, { error: `severity must be one of ${SEVERITIES.join(", ")}` }).default("warning"),
    scope: z.strictObject({
      sensor_ids: z.array(sensorIdSchema).min(1, "scope.sensor_ids cannot be empty").max(MAX_SCOPE_IDS).optional(),
      type: z.string().min(1).max(128).optional(),
      all: z.literal(true, { error: "scope.all must be true" }).optional(),
    }),
  })
  .superRefine((r, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    const scopes = [r.scope.sensor_ids, r.scope.type, r.scope.all].filter((s) => s !== undefined).length;
    if (scopes !== 1) issue("scope", 'scope must be exactly one of {"sensor_ids":[...]}, {"type":"..."}, {"all":true}');
    if (r.kind === "no_data") {
      for (const f of [
        "metric",
        "op",
        "threshold",
        "clear_threshold",
        "low",
        "high",
        "clear_low",
        "clear_high",
      ] as const)
        if (r[f] !== undefined) issue(f, `${f} does not apply to a no_data rule`);
      if (r.for_s <= 0) issue("for_s", "a no_data rule needs for_s > 0 (seconds without data before it raises)");
      return;
    }
    if (r.metric === undefined) issue("metric", "metric is required for a threshold rule");
    if (r.op === undefined) return issue("op", `op is required for a threshold rule (${OPS.join(" ")})`);
    if (r.op === "outside") {
      for (const f of ["threshold", "clear_threshold"] as const)
        if (r[f] !== undefined) issue(f, `${f} does not apply to op outside; use low and high`);
      if (r.low === undefined) issue("low", "low is required for op outside");
      if (r.high === undefined) issue("high", "high is required for op outside");
      if (r.low === undefined || r.high === undefined) return;
      if (r.low >= r.high) issue("high", "high must be greater than low");
      const cl = r.clear_low ?? r.low;
      const ch = r.clear_high ?? r.high;
      if (cl < r.low) issue("clear_low", "clear_low must be at least low (hysteresis narrows the band)");
      if (ch > r.high) issue("clear_high", "clear_high must be at most high (hysteresis narrows the band)");
      if (cl > ch) issue("clear_high", "clear_high must be at least clear_low");
      return;
    }
    for (const f of ["low", "high", "clear_low", "clear_high"] as const)
      if (r[f] !== undefined) issue(f, `${f} applies only to op outside`);
    if (r.threshold === undefined) return issue("threshold", `threshold is required for op ${r.op}`);
    const clear = r.clear_threshold ?? r.threshold;
    if ((r.op === ">" || r.op === ">=") && clear > r.threshold)
      issue("clear_threshold", `clear_threshold must be at most threshold for op ${r.op} (it clears below it)`);
    if ((r.op === "<" || r.op === "<=") && clear < r.threshold)
      issue("clear_threshold", `clear_threshold must be at least threshold for op ${r.op} (it clears above it)`);
  });
export type RuleInput = z.input<typeof ruleInputSchema>;
export type ParsedRuleInput = z.output<typeof ruleInputSchema>;

/** The stored spec of a validated input (defaults filled in: clear thresholds default to the thresholds). */
export function specOf(r: ParsedRuleInput): RuleSpec {
  const scope: Scope = r.scope.sensor_ids
    ? { sensor_ids: [...new Set(r.scope.sensor_ids)] }
    : r.scope.type !== undefined
      ? { type: r.scope.type }
      : { all: true };
  const common = { severity: r.severity, for_s: r.for_s, scope };
  if (r.kind === "no_data") return { kind: "no_data", ...common };
  const metric = r.metric ?? "";
  if (r.op === "outside") {
    const low = r.low ?? 0;
    const high = r.high ?? 0;
    return {
      kind: "threshold",
      metric,
      op: "outside",
      low,
      high,
      clear_low: r.clear_low ?? low,
      clear_high: r.clear_high ?? high,
      ...common,
    };
  }
  const threshold = r.threshold ?? 0;
  return {
    kind: "threshold",
    metric,
    op: r.op ?? ">",
    threshold,
    clear_threshold: r.clear_threshold ?? threshold,
    ...common,
  };
}

/** A rule as the API shows it: its spec flattened, plus identity and state. */
export type AlarmRule = RuleSpec & {
  rule_id: string;
  name: string;
  enabled: boolean;
  created_at: string;
  updated_at: string;
};

/** The input fields of a stored rule: a PATCH body is merged onto these and validated again. */
export function inputOf(rule: AlarmRule): Record<string, unknown> {
  const { rule_id: _id, created_at: _c, updated_at: _u, ...input } = rule;
  return input;
}
