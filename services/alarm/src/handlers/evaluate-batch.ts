import type { Alert } from "@sensorstream/contracts";
import type { AlarmTx, OpenAlarm } from "../adapters/alarm-tx.js";
import { NORMAL, needsRow, type PairState, step } from "../core/evaluate.js";
import { gather, type Inbound, pairKey } from "../core/gather.js";
import type { RuleSet } from "../core/rules.js";

export type BatchDeps = {
  rules: () => RuleSet;
  /** Types of the registered sensors among these (only asked when a rule is scoped by type). */
  types: (ids: readonly string[]) => Promise<ReadonlyMap<string, string | null>>;
  /** Runs the work in one transaction of the alarm service's tables. */
  transaction: <T>(work: (tx: AlarmTx) => Promise<T>) => Promise<T>;
};

/**
 * One batch of readings: gathered by (rule, sensor), evaluated by reading time against the stored state, and
 * the state, the alarms and their alerts written in one transaction. Returns the alerts queued (the caller
 * publishes the outbox after the commit) and how many rule evaluations were made.
 */
export async function evaluateBatch(
  batch: readonly Inbound[],
  d: BatchDeps,
): Promise<{ alerts: Alert[]; evaluations: number }> {
  const rules = d.rules();
  const sensorIds = [...new Set(batch.map((m) => m.sensorId))];
  const types = rules.needsTypes ? await d.types(sensorIds) : new Map<string, string | null>();
  const { pairs, evaluations } = gather(rules, batch, types);
  const seen = new Map<string, number>();
  for (const m of batch) seen.set(m.sensorId, Math.max(seen.get(m.sensorId) ?? 0, m.receivedUs));

  // Nothing to evaluate and no no-data rule to feed: no transaction at all (a new no-data rule counts silence from
  // its own creation, so the last-seen times it did not get meanwhile are not needed).
  if (pairs.length === 0 && rules.noData.length === 0) return { alerts: [], evaluations };

  const alerts = await d.transaction(async (tx) => {
    const { states, open } = await tx.start(sensorIds);
    const toSave: { ruleId: string; sensorId: string; state: PairState }[] = [];
    for (const p of pairs) {
      const key = pairKey(p.rule.rule_id, p.sensorId);
      const stored = states.get(key);
      let current: OpenAlarm | undefined = open.get(key);
      const before = { ...(stored ?? NORMAL), open: current !== undefined };
      const { state, transitions } = step(p.rule.spec, before, p.series);
      for (const t of transitions) {
        if (t.kind === "raise") {
          current = await tx.raise({
            ruleId: p.rule.rule_id,
            sensorId: p.sensorId,
            metric: p.rule.spec.metric,
            severity: p.rule.spec.severity,
            us: t.us,
            value: t.value,
            threshold: t.threshold,
          });
        } else if (current) {
          await tx.clear({ alarm: current, us: t.us, value: t.value, threshold: t.threshold, reason: "value" });
          current = undefined;
        }
      }
      if (needsRow(state, stored !== undefined, transitions.length)) {
        toSave.push({ ruleId: p.rule.rule_id, sensorId: p.sensorId, state });
      }
    }
    await tx.saveStates(toSave);
    await clearNoData(tx, rules, batch, open);
    if (rules.noData.length > 0) await tx.touchSeen(seen);
    await tx.flushAlerts();
    return tx.alerts;
  });
  return { alerts, evaluations };
}

/** Data returning clears a sensor's open no-data alarms (at the newest reading's time). */
async function clearNoData(
  tx: AlarmTx,
  rules: RuleSet,
  batch: readonly Inbound[],
  open: ReadonlyMap<string, OpenAlarm>,
): Promise<void> {
  if (rules.noData.length === 0 || open.size === 0) return;
  const newest = new Map<string, number>();
  for (const m of batch)
    for (const r of m.readings) newest.set(m.sensorId, Math.max(newest.get(m.sensorId) ?? 0, r.us));
  for (const a of open.values()) {
    // A no-data rule disabled or deleted meanwhile has had its open alarms cleared by the API already.
    const rule = rules.noData.find((r) => r.rule_id === a.rule_id);
    const us = newest.get(a.sensor_id);
    if (!rule || us === undefined) continue;
    await tx.clear({ alarm: a, us, value: 0, threshold: rule.spec.for_s, reason: "data_returned" });
  }
}
