import { describe, expect, it } from "vitest";
import { OneAtATime } from "./one-at-a-time.js";

describe("OneAtATime", () => {
  it("runs calls one after the other, and a failure counts 0 without stopping the next", async () => {
    const order: string[] = [];
    let n = 0;
    const errors: unknown[] = [];
    const serial = new OneAtATime(
      async () => {
        const me = ++n;
        order.push(`start ${me}`);
        await new Promise((r) => setTimeout(r, 5));
        order.push(`end ${me}`);
        if (me === 2) throw new Error("boom");
        return me;
      },
      (err) => errors.push(err),
    );
    const results = await Promise.all([serial.run(), serial.run(), serial.run()]);
    expect(results).toEqual([1, 0, 3]);
    expect(order).toEqual(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
    expect(errors).toHaveLength(1);
    expect(await serial.idle()).toBe(3);
  });
});
