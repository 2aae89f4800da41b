import { describe, expect, it } from "vitest";
import { Fifo } from "./fifo.js";

describe("Fifo", () => {
  it("keeps first-in first-out order across compactions, with items put back at the front", () => {
    const q = new Fifo<number>();
    const model: number[] = [];
    let next = 0;
    // A deterministic mix of pushes, shifts and unshifts, checked against a plain array.
    for (let step = 0; step < 20_000; step++) {
      const op = (step * 7919) % 10;
      if (op < 5) {
        q.push(next);
        model.push(next++);
      } else if (op < 9) {
        expect(q.shift()).toBe(model.shift());
      } else {
        const back = [next++, next++];
        q.unshift(...back);
        model.unshift(...back);
      }
      expect(q.length).toBe(model.length);
    }
    expect(q.take(1_000_000)).toEqual(model);
    expect(q.shift()).toBeUndefined();
  });
});
