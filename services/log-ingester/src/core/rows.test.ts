import type { LogMessage } from "@sensorstream/contracts";
import { describe, expect, it } from "vitest";
import { lineCount, linesByLevel, toLogRows } from "./rows.js";

const message = (sensor_id: string, entries: LogMessage["entries"]): LogMessage => ({
  msg_id: `${sensor_id}-1`,
  sensor_id,
  received_at: "2026-11-23T08:00:00.000000Z",
  entries,
});

const a = message("pump-1", [
  { time: "2026-11-23T08:00:00.000001Z", level: "info", msg: "boot", fields: {} },
  { time: "2026-11-23T08:00:00.000002Z", level: "warn", msg: "disk low", fields: { disk: "sda", ctx: { pct: [3] } } },
]);
const b = message("crane-2", [{ time: "2026-11-23T08:00:01.000000Z", level: "warn", msg: "tab\there", fields: {} }]);

describe("toLogRows", () => {
  it("flattens messages to one row per line, in order, with fields as JSON text", () => {
    expect(toLogRows([a, b])).toStrictEqual([
      ["2026-11-23T08:00:00.000001Z", "pump-1", "info", "boot", "{}"],
      ["2026-11-23T08:00:00.000002Z", "pump-1", "warn", "disk low", '{"disk":"sda","ctx":{"pct":[3]}}'],
      ["2026-11-23T08:00:01.000000Z", "crane-2", "warn", "tab\there", "{}"],
    ]);
  });
});

describe("lineCount and linesByLevel", () => {
  it("count the lines a message will write, and lines per level", () => {
    expect(lineCount(a)).toBe(2);
    expect(lineCount(b)).toBe(1);
    expect(Object.fromEntries(linesByLevel([a, b]))).toStrictEqual({ info: 1, warn: 2 });
    expect(linesByLevel([]).size).toBe(0);
  });
});
