import { describe, expect, it } from "vitest";
import { rowCount, toRows } from "./rows.js";

describe("toRows", () => {
  it("flattens readings to one row per metric and a position per reading with lat/lon", () => {
    const m = {
      msg_id: "1",
      sensor_id: "truck-1",
      received_at: "2026-11-23T08:00:00.000000Z",
      readings: [
        { time: "2026-11-23T08:00:00.000001Z", values: { a: 1, b: 2 }, lat: 1.5, lon: 2.5 },
        { time: "2026-11-23T08:00:00.000002Z", values: { a: 3 } },
        { time: "2026-11-23T08:00:00.000003Z", values: {}, lat: 1.6, lon: 2.6 },
      ],
    };
    expect(toRows([m])).toEqual({
      measurements: [
        ["2026-11-23T08:00:00.000001Z", "truck-1", "a", 1],
        ["2026-11-23T08:00:00.000001Z", "truck-1", "b", 2],
        ["2026-11-23T08:00:00.000002Z", "truck-1", "a", 3],
      ],
      positions: [
        ["2026-11-23T08:00:00.000001Z", "truck-1", 1.5, 2.5],
        ["2026-11-23T08:00:00.000003Z", "truck-1", 1.6, 2.6],
      ],
    });
    expect(rowCount(m)).toBe(5);
  });
});
