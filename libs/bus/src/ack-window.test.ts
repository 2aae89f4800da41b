import { describe, expect, it } from "vitest";
import { AckWindow } from "./consumer.js";

describe("AckWindow", () => {
  it("acks a contiguous run once, with the highest tag", () => {
    const sent: number[] = [];
    const w = new AckWindow((t) => sent.push(t));
    w.settle(1, true);
    w.settle(2, true);
    expect(sent).toEqual([1, 2]);
  });

  it("holds acks that arrive out of order until the gap is settled", () => {
    const sent: number[] = [];
    const w = new AckWindow((t) => sent.push(t));
    w.settle(3, true);
    w.settle(2, true);
    expect(sent).toEqual([]);
    expect(w.waiting).toBe(2);
    w.settle(1, true);
    expect(sent).toEqual([3]);
    expect(w.waiting).toBe(0);
  });

  it("a nacked tag fills the gap without an ack of its own, and acks held behind it are sent", () => {
    const sent: number[] = [];
    const w = new AckWindow((t) => sent.push(t));
    w.settle(2, true);
    w.settle(1, false);
    expect(sent).toEqual([2]);
    w.settle(3, false);
    expect(sent).toEqual([2]);
  });
});
