import { describe, expect, it } from "vitest";
import { ActivityTracker } from "./activity.js";

describe("ActivityTracker", () => {
  it("keeps the latest time and the latest position per sensor", () => {
    const t = new ActivityTracker();
    t.touch("a", 10);
    t.touch("a", 5, { lat: 1, lon: 1, us: 5 });
    t.touch("a", 7, { lat: 2, lon: 2, us: 4 });
    t.touch("b", 3);
    const r = t.drain();
    expect(r.get("a")).toEqual({ lastUs: 10, lat: 1, lon: 1, positionUs: 5 });
    expect(r.get("b")).toEqual({ lastUs: 3 });
    expect(t.size).toBe(0);
  });

  it("restores an unsent report without losing what came after it", () => {
    const t = new ActivityTracker();
    t.touch("a", 10, { lat: 1, lon: 1, us: 10 });
    const unsent = t.drain();
    t.touch("a", 20);
    t.restore(unsent);
    expect(t.drain().get("a")).toEqual({ lastUs: 20, lat: 1, lon: 1, positionUs: 10 });
  });
});
