import type { AlarmRule } from "@sensorstream/alarms";
import { describe, expect, it } from "vitest";
import { gather, pairKey } from "./gather.js";
import { prepareRules } from "./rules.js";

const base = { name: "n", enabled: true, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" };
const rule = (id: string, metric: string, scope: AlarmRule["scope"], enabled = true): AlarmRule => ({
  ...base,
  enabled,
  rule_id: id,
  kind: "threshold",
  metric,
  op: ">",
  threshold: 1,
  clear_threshold: 1,
  for_s: 0,
  severity: "info",
  scope,
});

describe("gather", () => {
  it("pairs each reading with the enabled rules of its metrics in scope", () => {
    const rules = prepareRules([
      rule("r1", "t", { all: true }),
      rule("r2", "t", { sensor_ids: ["a"] }),
      rule("r3", "t", { type: "pump" }),
      rule("r4", "x", { all: true }),
      rule("r5", "t", { all: true }, false),
    ]);
    expect(rules.needsTypes).toBe(true);
    expect(rules.count).toBe(4);
    const batch = [
      {
        sensorId: "a",
        receivedUs: 0,
        readings: [
          { us: 1, values: { t: 5 } },
          { us: 2, values: { t: 6, y: 1 } },
        ],
      },
      { sensorId: "b", receivedUs: 0, readings: [{ us: 3, values: { t: 7 } }] },
    ];
    const { pairs, evaluations } = gather(rules, batch, new Map([["b", "pump"]]));
    expect(pairs.map((p) => pairKey(p.rule.rule_id, p.sensorId)).sort()).toEqual(
      [pairKey("r1", "a"), pairKey("r1", "b"), pairKey("r2", "a"), pairKey("r3", "b")].sort(),
    );
    expect(pairs.find((p) => p.rule.rule_id === "r1" && p.sensorId === "a")?.series).toEqual({
      us: [1, 2],
      values: [5, 6],
      min: 5,
      max: 6,
    });
    expect(evaluations).toBe(6);
  });

  it("orders each series by reading time, not arrival", () => {
    const rules = prepareRules([rule("r1", "t", { all: true })]);
    const batch = [
      { sensorId: "a", receivedUs: 0, readings: [{ us: 3, values: { t: 3 } }] },
      {
        sensorId: "a",
        receivedUs: 0,
        readings: [
          { us: 1, values: { t: 1 } },
          { us: 2, values: { t: 2 } },
        ],
      },
    ];
    expect(gather(rules, batch, new Map()).pairs[0]?.series).toEqual({
      us: [1, 2, 3],
      values: [1, 2, 3],
      min: 1,
      max: 3,
    });
  });
});
