import { describe, expect, it } from "vitest";
import { inputOf, ruleInputSchema, specOf } from "./rule-spec.js";

const parse = (body: unknown) => ruleInputSchema.safeParse(body);

describe("rule input", () => {
  it("fills the defaults: kind threshold, clear thresholds = thresholds, for_s 0, severity warning, enabled", () => {
    const r = parse({ name: "hot", metric: "t", op: ">", threshold: 80, scope: { all: true } });
    expect(r.success && specOf(r.data)).toEqual({
      kind: "threshold",
      metric: "t",
      op: ">",
      threshold: 80,
      clear_threshold: 80,
      for_s: 0,
      severity: "warning",
      scope: { all: true },
    });
    const band = parse({ name: "b", metric: "t", op: "outside", low: 1, high: 5, clear_low: 2, scope: { type: "x" } });
    expect(band.success && specOf(band.data)).toMatchObject({ low: 1, high: 5, clear_low: 2, clear_high: 5 });
  });

  it("names the field of every problem", () => {
    const r = parse({ name: "x", kind: "no_data", metric: "t", scope: { all: true, type: "y" } });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join(".")).sort()).toEqual(["for_s", "metric", "scope"]);
  });

  it("a stored rule's input parses back to the same spec (a PATCH starts from it)", () => {
    const r = parse({
      name: "q",
      kind: "no_data",
      for_s: 30,
      severity: "info",
      scope: { sensor_ids: ["a", "a", "b"] },
    });
    if (!r.success) throw r.error;
    const rule = {
      ...specOf(r.data),
      rule_id: "id",
      name: "q",
      enabled: true,
      created_at: "2026-01-01T00:00:00.000Z",
      updated_at: "2026-01-01T00:00:00.000Z",
    };
    const again = parse(inputOf(rule));
    expect(again.success && specOf(again.data)).toEqual(specOf(r.data));
    expect(specOf(r.data).scope).toEqual({ sensor_ids: ["a", "b"] });
  });
});
