import { microsOf } from "@sensorstream/contracts";
import { describe, expect, it } from "vitest";
import { batchRows } from "./batch-rows.js";
import { rowCount } from "./rows.js";

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

describe("batchRows", () => {
  it("encodes one COPY line per metric and a position per reading with lat/lon", () => {
    const rows = batchRows([m], microsOf);
    expect(rows.measurements).toBe(3);
    expect(rows.measurementText.join("")).toBe(
      "2026-11-23T08:00:00.000001Z\ttruck-1\ta\t1\n" +
        "2026-11-23T08:00:00.000001Z\ttruck-1\tb\t2\n" +
        "2026-11-23T08:00:00.000002Z\ttruck-1\ta\t3\n",
    );
    expect(rows.positions).toBe(2);
    expect(rows.positionText.join("")).toBe(
      "2026-11-23T08:00:00.000001Z\ttruck-1\t1.5\t2.5\n2026-11-23T08:00:00.000003Z\ttruck-1\t1.6\t2.6\n",
    );
    expect(rowCount(m)).toBe(5);
  });

  it("keeps the newest value per series, by time not by arrival, the first on equal times", () => {
    const other = {
      ...m,
      sensor_id: "truck-2",
      readings: [
        { time: "2026-11-23T08:00:05.000000Z", values: { a: 50 } },
        // an offset: 07:00:06-02:00 is 09:00:06Z, the newest although it sorts first as text
        { time: "2026-11-23T07:00:06-02:00", values: { a: 60 } },
        { time: "2026-11-23T08:00:01.000000Z", values: { a: 10 } },
      ],
    };
    const tie = { ...m, sensor_id: "truck-1", readings: [{ time: "2026-11-23T08:00:00.000002Z", values: { a: 99 } }] };
    expect(batchRows([m, other, tie], microsOf).latest).toEqual({
      sensorIds: ["truck-1", "truck-1", "truck-2"],
      metrics: ["a", "b", "a"],
      times: ["2026-11-23T08:00:00.000002Z", "2026-11-23T08:00:00.000001Z", "2026-11-23T07:00:06-02:00"],
      values: [3, 2, 60],
    });
  });

  it("escapes what COPY's text format would misread", () => {
    const odd = { ...m, sensor_id: "a\\b", readings: [{ time: "2026-11-23T08:00:00.000001Z", values: { x: 1 } }] };
    expect(batchRows([odd], microsOf).measurementText.join("")).toBe("2026-11-23T08:00:00.000001Z\ta\\\\b\tx\t1\n");
  });

  it("cuts the text in chunks of about 64 KiB", () => {
    const many = {
      ...m,
      readings: Array.from({ length: 5000 }, (_, i) => ({
        time: `2026-11-23T08:00:00.${String(i).padStart(6, "0")}Z`,
        values: { a: i },
      })),
    };
    const rows = batchRows([many], microsOf);
    expect(rows.measurementText.length).toBeGreaterThan(1);
    expect(rows.measurementText.join("").split("\n").length - 1).toBe(5000);
  });
});
