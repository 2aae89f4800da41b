import type { ThresholdSpec } from "@sensorstream/alarms";
import type { Series } from "./evaluate.js";
import { applies, type Prepared, type RuleSet } from "./rules.js";

/** A data message as the evaluator sees it: reading times in epoch microseconds. */
export type Inbound = {
  sensorId: string;
  receivedUs: number;
  readings: readonly { us: number; values: Record<string, number> }[];
};
export type PairInput = { rule: Prepared<ThresholdSpec>; sensorId: string; series: Series };

export const pairKey = (ruleId: string, sensorId: string): string => `${ruleId}|${sensorId}`;

/**
 * Groups a batch's readings into one time-ordered series per (sensor, metric) that some rule watches, and pairs
 * each series with the rules in scope of its sensor. The series is shared by every rule on that metric, so 100 rules
 * cost 100 passes over the numbers, not 100 copies of them; a reading looks up only the rules of its metrics.
 */
export function gather(
  rules: RuleSet,
  batch: readonly Inbound[],
  types: ReadonlyMap<string, string | null>,
): { pairs: PairInput[]; evaluations: number } {
  const bySensor = new Map<string, Map<string, Mutable>>();
  for (const m of batch) {
    let metrics = bySensor.get(m.sensorId);
    for (const r of m.readings) {
      for (const metric in r.values) {
        if (!rules.byMetric.has(metric)) continue;
        if (!metrics) {
          metrics = new Map();
          bySensor.set(m.sensorId, metrics);
        }
        let s = metrics.get(metric);
        if (!s) {
          s = { us: [], values: [], min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
          metrics.set(metric, s);
        }
        const v = r.values[metric] as number;
        s.us.push(r.us);
        s.values.push(v);
        if (v < s.min) s.min = v;
        if (v > s.max) s.max = v;
      }
    }
  }
  const pairs: PairInput[] = [];
  let evaluations = 0;
  for (const [sensorId, metrics] of bySensor) {
    const type = types.get(sensorId);
    for (const [metric, series] of metrics) {
      sortSeries(series);
      for (const rule of rules.byMetric.get(metric) ?? []) {
        if (!applies(rule, sensorId, type)) continue;
        pairs.push({ rule, sensorId, series });
        evaluations += series.us.length;
      }
    }
  }
  return { pairs, evaluations };
}

type Mutable = { us: number[]; values: number[]; min: number; max: number };

/** In place, by reading time; readings usually arrive in order, so the common case is one pass. */
function sortSeries(s: Mutable): void {
  let sorted = true;
  for (let i = 1; i < s.us.length && sorted; i++) sorted = (s.us[i] as number) >= (s.us[i - 1] as number);
  if (sorted) return;
  const order = s.us.map((_, i) => i).sort((a, b) => (s.us[a] as number) - (s.us[b] as number));
  const us = order.map((i) => s.us[i] as number);
  const values = order.map((i) => s.values[i] as number);
  s.us.splice(0, s.us.length, ...us);
  s.values.splice(0, s.values.length, ...values);
}
