import { microsOf } from "@sensorstream/contracts";
import { describe, expect, it } from "vitest";
import { batchRows } from "./batch-rows.js";
import { rowCount } from "./rows.js";

/** Reads binary COPY data back: [time as Unix µs, then the other fields, text as strings and float8 as numbers]. */
function decode(chunks: Buffer[], kinds: readonly ("text" | "float8")[]): unknown[][] {
  const buf = Buffer.concat(chunks);
  expect(buf.subarray(0, 11).toString("latin1")).toBe("PGCOPY\n\xff\r\n\0");
  let at = 19;
  const rows: unknown[][] = [];
  for (;;) {
    const n = buf.readInt16BE(at);
    at += 2;
    if (n === -1) break;
    expect(n).toBe(kinds.length + 1);
    expect(buf.readInt32BE(at)).toBe(8);
    const row: unknown[] = [Number(buf.readBigInt64BE(at + 4)) + 946_684_800_000_000];
    at += 12;
    for (const k of kinds) {
      const len = buf.readInt32BE(at);
      at += 4;
      row.push(k === "text" ? buf.toString("utf8", at, at + len) : buf.readDoubleBE(at));
      at += len;
    }
    rows.push(row);
  }
  expect(at).toBe(buf.length);
  return rows;
}

const us = (t: string) => microsOf(t);

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
  it("encodes one binary COPY tuple per metric and a position per reading with lat/lon", () => {
    const rows = batchRows([m], microsOf);
    expect(rows.measurements).toBe(3);
    expect(decode(rows.measurementCopy, ["text", "text", "float8"])).toEqual([
      [us("2026-11-23T08:00:00.000001Z"), "truck-1", "a", 1],
      [us("2026-11-23T08:00:00.000001Z"), "truck-1", "b", 2],
      [us("2026-11-23T08:00:00.000002Z"), "truck-1", "a", 3],
    ]);
    expect(rows.positions).toBe(2);
    expect(decode(rows.positionCopy, ["text", "float8", "float8"])).toEqual([
      [us("2026-11-23T08:00:00.000001Z"), "truck-1", 1.5, 2.5],
      [us("2026-11-23T08:00:00.000003Z"), "truck-1", 1.6, 2.6],
    ]);
    expect(rowCount(m)).toBe(5);
  });

  it("writes times before 2000 and non-ASCII text", () => {
    const old = {
      ...m,
      sensor_id: "grüße-1",
      readings: [{ time: "1971-06-01T12:00:00.000007Z", values: { µ: -0.5 } }],
    };
    expect(decode(batchRows([old], microsOf).measurementCopy, ["text", "text", "float8"])).toEqual([
      [us("1971-06-01T12:00:00.000007Z"), "grüße-1", "µ", -0.5],
    ]);
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

  it("spreads a large batch over 64 KiB buffers", () => {
    const many = {
      ...m,
      readings: Array.from({ length: 5000 }, (_, i) => ({
        time: `2026-11-23T08:00:00.${String(i).padStart(6, "0")}Z`,
        values: { a: i },
      })),
    };
    const rows = batchRows([many], microsOf);
    expect(rows.measurementCopy.length).toBeGreaterThan(1);
    expect(decode(rows.measurementCopy, ["text", "text", "float8"]).map((r) => r[3])).toEqual(
      Array.from({ length: 5000 }, (_, i) => i),
    );
  });
});
