import { describe, expect, it } from "vitest";
import type { Folded, SensorEvent } from "./core/fold.js";
import { createPresenceCheck } from "./presence-check.js";

const S = 1_000_000;

/** A store that records what the check asks of it. */
function fakeStore(candidates: string[]) {
  const asked: number[] = [];
  const applied: SensorEvent[][] = [];
  return {
    asked,
    applied,
    async silentCandidates(nowUs: number) {
      asked.push(nowUs);
      return candidates;
    },
    async applyBatch(events: readonly SensorEvent[]): Promise<Folded> {
      applied.push([...events]);
      return { changes: [], outcomes: events.map(() => "applied" as const) };
    },
  };
}

describe("the silence check", () => {
  it("looks only as far as the registry has applied its queue: now minus the lag of the last batch", async () => {
    const store = fakeStore(["a", "b"]);
    let nowMs = 1_000_000;
    const check = createPresenceCheck({
      store,
      clock: () => nowMs,
      progress: () => ({ applied: 3, lagUs: 90 * S }),
      afterCommit: async () => {},
    });
    nowMs += 5_000;
    await check();
    expect(store.asked).toEqual([nowMs * 1000 - 90 * S]);
    expect(store.applied[0]?.map((e) => [e.sensorId, e.event])).toEqual([
      ["a", { type: "tick", us: nowMs * 1000 - 90 * S }],
      ["b", { type: "tick", us: nowMs * 1000 - 90 * S }],
    ]);
  });

  it("checks nothing before the first batch during the start-up grace, then treats an idle queue as caught up", async () => {
    const store = fakeStore([]);
    let nowMs = 1_000_000;
    const check = createPresenceCheck({
      store,
      clock: () => nowMs,
      progress: () => ({ applied: 0, lagUs: 0 }),
      afterCommit: async () => {},
    });
    await check();
    expect(store.asked).toEqual([]);
    nowMs += 31_000;
    await check();
    expect(store.asked).toEqual([nowMs * 1000]);
  });
});
