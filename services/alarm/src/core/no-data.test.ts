import type { NoDataSpec } from "@sensorstream/alarms";
import { describe, expect, it } from "vitest";
import { dueForNoData, noLongerWatched } from "./no-data.js";
import type { Prepared } from "./rules.js";

const rule = (scope: NoDataSpec["scope"], updatedMs = 0): Prepared<NoDataSpec> => ({
  rule_id: "r1",
  spec: { kind: "no_data", for_s: 60, severity: "warning", scope },
  updatedMs,
  ids: "sensor_ids" in scope ? new Set(scope.sensor_ids) : null,
});
const s = (id: string, type: string | null = null, updatedMs = 0) => ({ id, type, updatedMs });

describe("no-data decisions", () => {
  it("raises for an awake sensor silent for for_s, counting from its last data", () => {
    const due = dueForNoData(
      rule({ all: true }),
      [s("a"), s("b")],
      new Map([
        ["a", 100_000],
        ["b", 150_000],
      ]),
      new Set(),
      200_000,
    );
    expect(due).toEqual([{ sensorId: "a", silentS: 100, atMs: 160_000 }]);
  });

  it("counts from the rule's last change and the sensor's (a new rule, a woken sensor) when newer", () => {
    expect(dueForNoData(rule({ all: true }, 180_000), [s("a")], new Map([["a", 0]]), new Set(), 200_000)).toEqual([]);
    expect(dueForNoData(rule({ all: true }), [s("a", null, 190_000)], new Map(), new Set(), 200_000)).toEqual([]);
  });

  it("skips sensors with an open alarm of the rule and sensors out of scope", () => {
    const r = rule({ type: "pump" });
    const awake = [s("a", "pump"), s("b", "fan"), s("c", "pump")];
    expect(dueForNoData(r, awake, new Map(), new Set(["c"]), 1_000_000).map((d) => d.sensorId)).toEqual(["a"]);
  });

  it("clears open alarms of sensors no longer awake or no longer in scope", () => {
    const r = rule({ sensor_ids: ["a", "b"] });
    const awake = new Map([
      ["a", s("a")],
      ["c", s("c")],
    ]);
    expect(noLongerWatched(r, awake, new Set(["a", "b", "c"]))).toEqual(["b", "c"]);
  });
});
