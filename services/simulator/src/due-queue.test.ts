import { describe, expect, it } from "vitest";
import { DueQueue } from "./due-queue.js";
import { seededRandom } from "./signals.js";

describe("DueQueue", () => {
  it("pops in time order", () => {
    const random = seededRandom(1);
    const q = new DueQueue();
    const items = Array.from({ length: 500 }, (_, i) => ({ at: Math.floor(random() * 1000), i }));
    for (const { at, i } of items) q.push(at, i);
    expect(q.size).toBe(500);
    const times: number[] = [];
    for (let at = q.peekTime(); at !== undefined; at = q.peekTime()) {
      const i = q.pop();
      expect(items[i ?? -1]?.at).toBe(at);
      times.push(at);
    }
    expect(times).toEqual(items.map((x) => x.at).sort((a, b) => a - b));
    expect(q.pop()).toBeUndefined();
  });

  it("carries each entry's tag", () => {
    const q = new DueQueue();
    q.push(30, 1, 7);
    q.push(10, 2, 8);
    q.push(20, 1, 9);
    expect([q.popEntry(), q.popEntry(), q.popEntry(), q.popEntry()]).toEqual([
      { index: 2, tag: 8 },
      { index: 1, tag: 9 },
      { index: 1, tag: 7 },
      undefined,
    ]);
  });

  it("clears", () => {
    const q = new DueQueue();
    q.push(1, 0);
    q.clear();
    expect(q.size).toBe(0);
    expect(q.peekTime()).toBeUndefined();
  });
});
