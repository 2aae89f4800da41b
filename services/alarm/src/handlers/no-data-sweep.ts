import { NO_DATA_METRIC } from "@sensorstream/alarms";
import type { Alert } from "@sensorstream/contracts";
import type { AwakeSensor } from "@sensorstream/sensors";
import { pairKey } from "../core/gather.js";
import { type Candidate, dueForNoData, noLongerWatched } from "../core/no-data.js";
import type { BatchDeps } from "./evaluate-batch.js";

export type SweepDeps = Pick<BatchDeps, "rules" | "transaction"> & {
  /** Registered sensors meant to be awake (libs/sensors). */
  awake: () => Promise<AwakeSensor[]>;
  clock: () => number;
};

/**
 * No-data rules: raises for awake sensors in scope silent for for_s, clears open ones whose sensor was told to sleep
 * (or left the scope). Decided from a first read, then checked again under the sensors' locks in the writing
 * transaction, so data that arrived meanwhile (and cleared or prevented the alarm) wins.
 */
export async function sweepNoData(d: SweepDeps): Promise<Alert[]> {
  const rules = d.rules().noData;
  if (rules.length === 0) return [];
  const awake: Candidate[] = (await d.awake()).map((s) => ({
    id: s.id,
    type: s.type,
    updatedMs: s.updated_at.getTime(),
  }));
  const awakeById = new Map(awake.map((s) => [s.id, s]));
  const ruleIds = rules.map((r) => r.rule_id);
  const { seen, open } = await d.transaction(async (tx) => ({
    seen: await tx.seen(null),
    open: await tx.openAlarmsOfRules(ruleIds),
  }));
  const openOf = (ruleId: string) =>
    new Set([...open.values()].filter((a) => a.rule_id === ruleId).map((a) => a.sensor_id));
  const plan = rules.map((rule) => {
    const o = openOf(rule.rule_id);
    return { rule, raise: dueForNoData(rule, awake, seen, o, d.clock()), clear: noLongerWatched(rule, awakeById, o) };
  });
  const sensors = [...new Set(plan.flatMap((p) => [...p.raise.map((r) => r.sensorId), ...p.clear]))];
  if (sensors.length === 0) return [];

  return d.transaction(async (tx) => {
    await tx.lockSensors(sensors);
    const fresh = await tx.seen(sensors);
    const nowOpen = await tx.openAlarmsOfRules(ruleIds);
    const now = d.clock();
    for (const { rule, raise, clear } of plan) {
      const o = new Set([...nowOpen.values()].filter((a) => a.rule_id === rule.rule_id).map((a) => a.sensor_id));
      const again = new Set(
        dueForNoData(
          rule,
          raise.map((r) => awakeById.get(r.sensorId)).filter((s): s is Candidate => s !== undefined),
          fresh,
          o,
          now,
        ).map((r) => r.sensorId),
      );
      for (const r of raise) {
        if (!again.has(r.sensorId)) continue;
        await tx.raise({
          ruleId: rule.rule_id,
          sensorId: r.sensorId,
          metric: NO_DATA_METRIC,
          severity: rule.spec.severity,
          us: r.atMs * 1000,
          value: r.silentS,
          threshold: rule.spec.for_s,
        });
      }
      for (const id of clear) {
        const a = nowOpen.get(pairKey(rule.rule_id, id));
        if (a) await tx.clear({ alarm: a, us: now * 1000, value: 0, threshold: rule.spec.for_s, reason: "asleep" });
      }
    }
    await tx.flushAlerts();
    return tx.alerts;
  });
}
