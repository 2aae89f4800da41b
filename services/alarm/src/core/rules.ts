import type { AlarmRule, NoDataSpec, Scope, ThresholdSpec } from "@sensorstream/alarms";

export type Prepared<S> = { rule_id: string; spec: S; updatedMs: number; ids: ReadonlySet<string> | null };
export type RuleSet = {
  /** Enabled threshold rules by metric: a reading looks up only the rules of the metrics it carries. */
  byMetric: ReadonlyMap<string, readonly Prepared<ThresholdSpec>[]>;
  noData: readonly Prepared<NoDataSpec>[];
  /** Some rule is scoped by type: the evaluator needs the sensors' types. */
  needsTypes: boolean;
  count: number;
};

const idsOf = (scope: Scope): ReadonlySet<string> | null => ("sensor_ids" in scope ? new Set(scope.sensor_ids) : null);

/** Indexes the enabled rules for evaluation (sensor_ids scopes become sets: a lookup per reading). */
export function prepareRules(rules: readonly AlarmRule[]): RuleSet {
  const byMetric = new Map<string, Prepared<ThresholdSpec>[]>();
  const noData: Prepared<NoDataSpec>[] = [];
  let needsTypes = false;
  let count = 0;
  for (const r of rules) {
    if (!r.enabled) continue;
    count++;
    if ("type" in r.scope) needsTypes = true;
    const common = { rule_id: r.rule_id, updatedMs: Date.parse(r.updated_at), ids: idsOf(r.scope) };
    if (r.kind === "no_data") {
      noData.push({ ...common, spec: { kind: "no_data", severity: r.severity, for_s: r.for_s, scope: r.scope } });
      continue;
    }
    const { rule_id: _i, name: _n, enabled: _e, created_at: _c, updated_at: _u, ...spec } = r;
    const list = byMetric.get(r.metric) ?? [];
    list.push({ ...common, spec: spec as ThresholdSpec });
    byMetric.set(r.metric, list);
  }
  return { byMetric, noData, needsTypes, count };
}

export function applies(rule: Prepared<{ scope: Scope }>, sensorId: string, type: string | null | undefined): boolean {
  if (rule.ids) return rule.ids.has(sensorId);
  if ("type" in rule.spec.scope) return type === rule.spec.scope.type;
  return true;
}
