import { describe, expect, it } from "vitest";
import { messageDueUs, phaseOffsetUs, reanchor, sampleTimeUs, sensorId, sensorIds } from "./schedule.js";

const T0 = 1_795_000_000_123_456;

describe("sample times", () => {
  it.each([1, 3, 7, 60, 1000, 33_333, 999_999, 1_000_000])("are strictly increasing and unique at %s Hz", (rateHz) => {
    const clock = { t0Us: T0, rateHz, batch: 1 };
    let previous = -1;
    for (let k = 0; k < 5000; k++) {
      const t = sampleTimeUs(clock, k);
      expect(t).toBeGreaterThan(previous);
      expect(Number.isInteger(t)).toBe(true);
      previous = t;
    }
  });

  it("are spaced 1e6/rate apart without drift", () => {
    const clock = { t0Us: T0, rateHz: 3, batch: 1 };
    expect(sampleTimeUs(clock, 0)).toBe(T0);
    expect(sampleTimeUs(clock, 1)).toBe(T0 + 333_333);
    expect(sampleTimeUs(clock, 2)).toBe(T0 + 666_667);
    expect(sampleTimeUs(clock, 3)).toBe(T0 + 1_000_000);
    expect(sampleTimeUs(clock, 3_000_000)).toBe(T0 + 1_000_000_000_000);
  });

  it("make a message due when its last sample is", () => {
    const clock = { t0Us: T0, rateHz: 20, batch: 5 };
    expect(messageDueUs(clock, 0)).toBe(T0 + 200_000);
    expect(messageDueUs(clock, 5)).toBe(T0 + 450_000);
  });
});

describe("reanchor", () => {
  it("puts sample k at the given time at the new rate, exactly spaced from there on", () => {
    const clock = { t0Us: T0, rateHz: 3, batch: 2 };
    const at = T0 + 5_000_001;
    const next = reanchor(clock, 7, at, 7);
    expect(next.rateHz).toBe(7);
    expect(next.batch).toBe(2);
    expect(sampleTimeUs(next, 7)).toBe(at);
    expect(sampleTimeUs(next, 14)).toBe(at + 1_000_000);
    expect(sampleTimeUs(next, 7 + 7_000_000)).toBe(at + 1_000_000_000_000);
  });
});

describe("phases", () => {
  it("spread a fleet across one message period", () => {
    const offsets = Array.from({ length: 4 }, (_, i) => phaseOffsetUs(i, 4, 10, 5));
    expect(offsets).toEqual([0, 125_000, 250_000, 375_000]);
  });
});

describe("sensor ids", () => {
  it("are 1-based and zero-padded to the width of the count", () => {
    expect(sensorIds("sim", 3)).toEqual(["sim-1", "sim-2", "sim-3"]);
    const ten = sensorIds("sim", 10);
    expect(ten[0]).toBe("sim-01");
    expect(ten[9]).toBe("sim-10");
    expect(sensorId("t", 7, 1000)).toBe("t-0007");
    expect(new Set(sensorIds("x", 1000)).size).toBe(1000);
  });
});
