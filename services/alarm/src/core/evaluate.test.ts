import type { ThresholdSpec } from "@sensorstream/alarms";
import { describe, expect, it } from "vitest";
import { NORMAL, needsRow, step } from "./evaluate.js";

const S = 1_000_000;
const above = (forS = 0, clear = 70): ThresholdSpec => ({
  kind: "threshold",
  metric: "temp_c",
  op: ">",
  threshold: 80,
  clear_threshold: clear,
  for_s: forS,
  severity: "warning",
  scope: { all: true },
});
/** A series sorted by reading time, as gather hands it over. */
const pts = (...vs: [number, number][]) => {
  const sorted = [...vs].sort((a, b) => a[0] - b[0]);
  const values = sorted.map(([, v]) => v);
  return { us: sorted.map(([t]) => t * S), values, min: Math.min(...values), max: Math.max(...values) };
};

describe("step (threshold evaluation by reading time)", () => {
  it("raises once on crossing and clears once back below the clear threshold", () => {
    const r = step(above(), NORMAL, pts([1, 50], [2, 85], [3, 90], [4, 75], [5, 69], [6, 60]));
    expect(r.transitions).toEqual([
      { kind: "raise", us: 2 * S, value: 85, threshold: 80 },
      { kind: "clear", us: 5 * S, value: 69, threshold: 70 },
    ]);
    expect(r.state).toEqual({ lastUs: 6 * S, pendingSinceUs: null, open: false });
  });

  it("holds the alarm between the clear threshold and the threshold (hysteresis)", () => {
    const r = step(above(), NORMAL, pts([1, 85], [2, 79], [3, 71], [4, 81], [5, 70.5]));
    expect(r.transitions.map((t) => t.kind)).toEqual(["raise"]);
    expect(r.state.open).toBe(true);
  });

  it("ignores a spike shorter than for_s and raises once the condition held for for_s", () => {
    const spike = step(above(10), NORMAL, pts([0, 90], [5, 95], [9, 60], [12, 90], [21, 91]));
    expect(spike.transitions).toEqual([]);
    expect(spike.state.pendingSinceUs).toBe(12 * S);
    const held = step(above(10), spike.state, pts([22, 92]));
    expect(held.transitions).toEqual([{ kind: "raise", us: 22 * S, value: 92, threshold: 80 }]);
  });

  it("ignores readings at or before the last one applied: replays neither raise twice nor clear", () => {
    const first = step(above(), NORMAL, pts([1, 90]));
    expect(first.transitions).toHaveLength(1);
    const replay = step(above(), first.state, pts([0, 10], [1, 90]));
    expect(replay.transitions).toEqual([]);
    expect(replay.state).toEqual(first.state);
    const cleared = step(above(), first.state, pts([2, 10]));
    const replayAfterClear = step(above(), cleared.state, pts([1, 90]));
    expect(replayAfterClear.transitions).toEqual([]);
  });

  it("continues an open alarm from stored state (a restart neither forgets nor raises again)", () => {
    const r = step(above(), { lastUs: 5 * S, pendingSinceUs: null, open: true }, pts([6, 95]));
    expect(r.transitions).toEqual([]);
    expect(r.state.open).toBe(true);
  });

  it("clears outside bands inside the narrowed band only", () => {
    const band: ThresholdSpec = {
      kind: "threshold",
      metric: "v",
      op: "outside",
      low: 10,
      high: 20,
      clear_low: 12,
      clear_high: 18,
      for_s: 0,
      severity: "critical",
      scope: { all: true },
    };
    const r = step(band, NORMAL, pts([1, 21], [2, 19], [3, 17], [4, 9], [5, 11], [6, 12]));
    expect(r.transitions).toEqual([
      { kind: "raise", us: 1 * S, value: 21, threshold: 20 },
      { kind: "clear", us: 3 * S, value: 17, threshold: 12 },
      { kind: "raise", us: 4 * S, value: 9, threshold: 10 },
      { kind: "clear", us: 6 * S, value: 12, threshold: 12 },
    ]);
  });

  it("skips a series that cannot change the state, moving only the newest reading time", () => {
    const quiet = step(above(10), { lastUs: 1 * S, pendingSinceUs: 1 * S, open: false }, pts([2, 50], [3, 60]));
    expect(quiet).toEqual({ state: { lastUs: 3 * S, pendingSinceUs: null, open: false }, transitions: [] });
    const stillHot = step(above(), { lastUs: 1 * S, pendingSinceUs: null, open: true }, pts([2, 75], [3, 99]));
    expect(stillHot).toEqual({ state: { lastUs: 3 * S, pendingSinceUs: null, open: true }, transitions: [] });
    const old = { lastUs: 5 * S, pendingSinceUs: null, open: false };
    expect(step(above(), old, pts([4, 99], [5, 99])).state).toBe(old);
  });

  it("keeps a row for any pair that left normal, even one that raised and cleared in one batch", () => {
    expect(needsRow(NORMAL, false, 0)).toBe(false);
    expect(needsRow(NORMAL, false, 2)).toBe(true);
    expect(needsRow({ ...NORMAL, pendingSinceUs: 1 }, false, 0)).toBe(true);
    expect(needsRow(NORMAL, true, 0)).toBe(true);
  });
});
