import type { ThresholdSpec } from "@sensorstream/alarms";
import type { Point } from "./evaluate.js";
import { applies, type Prepared, type RuleSet } from "./rules.js";

/** A data message as the evaluator sees it: reading times in epoch microseconds. */
export type Inbound = {
  sensorId: string;
  receivedUs: number;
  readings: readonly { us: number; values: Record<string, number> }[];
};
export type PairInput = { rule: Prepared<ThresholdSpec>; sensorId: string; points: Point[] };

export const pairKey = (ruleId: string, sensorId: string): string => `${ruleId}|${sensorId}`;

/**
 * Groups a batch's readings by (rule, sensor): one evaluation per rule in scope and metric present. A reading
 * looks up only the rules of the metrics it carries, so rules on other metrics cost nothing.
 */
export function gather(
  rules: RuleSet,
  batch: readonly Inbound[],
  types: ReadonlyMap<string, string | null>,
): { pairs: Map<string, PairInput>; evaluations: number } {
  const pairs = new Map<string, PairInput>();
  let evaluations = 0;
  for (const m of batch) {
    const type = types.get(m.sensorId);
    for (const r of m.readings) {
      for (const [metric, value] of Object.entries(r.values)) {
        const list = rules.byMetric.get(metric);
        if (!list) continue;
        for (const rule of list) {
          if (!applies(rule, m.sensorId, type)) continue;
          evaluations++;
          const key = pairKey(rule.rule_id, m.sensorId);
          let p = pairs.get(key);
          if (!p) {
            p = { rule, sensorId: m.sensorId, points: [] };
            pairs.set(key, p);
          }
          p.points.push({ us: r.us, value });
        }
      }
    }
  }
  return { pairs, evaluations };
}
