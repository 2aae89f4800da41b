import { microsOf } from "@sensorstream/contracts";
import { describe, expect, it } from "vitest";
import { batchRows } from "./batch-rows.js";
import { rowCount } from "./rows.js";

type Kind = "time" | "text" | "float8";
const OIDS = { time: 1184, text: 25, float8: 701 } as const;

/** Reads a one-dimensional binary array back: times as Unix µs, text as strings, float8 as numbers. */
function decode(buf: Buffer, kind: Kind): unknown[] {
  const ndim = buf.readInt32BE(0);
  expect(buf.readInt32BE(4)).toBe(0);
  expect(buf.readInt32BE(8)).toBe(OIDS[kind]);
  if (ndim === 0) {
    expect(buf.length).toBe(12);
    return [];
  }
  expect(ndim).toBe(1);
  expect(buf.readInt32BE(16)).toBe(1);
  const out: unknown[] = [];
  let at = 20;
  for (let i = 0; i < buf.readInt32BE(12); i++) {
    const len = buf.readInt32BE(at);
    at += 4;
    if (kind === "time") out.push(Number(buf.readBigInt64BE(at)) + 946_684_800_000_000);
    else out.push(kind === "text" ? buf.toString("utf8", at, at + len) : buf.readDoubleBE(at));
    at += len;
  }
  expect(at).toBe(buf.length);
  return out;
}

/** Columns of binary arrays back to rows. */
function decodeRows(columns: Buffer[], kinds: readonly Kind[]): unknown[][] {
  const cols = columns.map((c, i) => decode(c, kinds[i] as Kind));
  return (cols[0] ?? []).map((_, r) => cols.map((c) => c[r]));
}

const MEASUREMENT: Kind[] = ["time", "text", "text", "float8"];
const POSITION: Kind[] = ["time", "text", "float8", "float8"];

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
  it("encodes one element per metric in each column, and a position per reading with lat/lon", () => {
    const rows = batchRows([m], microsOf);
    expect(rows.measurements).toBe(3);
    expect(decodeRows(rows.measurementColumns, MEASUREMENT)).toEqual([
      [us("2026-11-23T08:00:00.000001Z"), "truck-1", "a", 1],
      [us("2026-11-23T08:00:00.000001Z"), "truck-1", "b", 2],
      [us("2026-11-23T08:00:00.000002Z"), "truck-1", "a", 3],
    ]);
    expect(rows.positions).toBe(2);
    expect(decodeRows(rows.positionColumns, POSITION)).toEqual([
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
    expect(decodeRows(batchRows([old], microsOf).measurementColumns, MEASUREMENT)).toEqual([
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
      times: [us("2026-11-23T08:00:00.000002Z"), us("2026-11-23T08:00:00.000001Z"), us("2026-11-23T07:00:06-02:00")],
      values: [3, 2, 60],
    });
  });

  it("grows its buffers for a large batch, and encodes the latest values as columns too", () => {
    const many = {
      ...m,
      readings: Array.from({ length: 5000 }, (_, i) => ({
        time: `2026-11-23T08:00:00.${String(i).padStart(6, "0")}Z`,
        values: { a: i },
      })),
    };
    const rows = batchRows([many], microsOf);
    expect(decodeRows(rows.measurementColumns, MEASUREMENT).map((r) => r[3])).toEqual(
      Array.from({ length: 5000 }, (_, i) => i),
    );
    expect(decodeRows(rows.latestColumns, ["text", "text", "time", "float8"])).toEqual([
      ["truck-1", "a", us("2026-11-23T08:00:00.004999Z"), 4999],
    ]);
  });

  it("encodes a batch without positions as empty arrays (no dimensions)", () => {
    const rows = batchRows([{ ...m, readings: [{ time: "2026-11-23T08:00:00.000001Z", values: { a: 1 } }] }], microsOf);
    expect(rows.positions).toBe(0);
    expect(decodeRows(rows.positionColumns, POSITION)).toEqual([]);
  });
});
