import { describe, expect, it } from "vitest";
import { eventsOf, frame, type LiveFilter, parseEventId } from "./live.js";

const all: LiveFilter = { sensorIds: undefined, metrics: undefined, alarms: false, presence: true };
const entry = (offset: number, routingKey: string, body: unknown) => ({
  offset,
  routingKey,
  content: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
});
const batch = entry(7, "readings.committed", {
  readings: [
    { sensor_id: "a", time: "2026-11-23T08:00:00.000000Z", values: { x: 1, y: 2 } },
    { sensor_id: "b", time: "2026-11-23T08:00:00.000000Z", values: { x: 3 } },
    { sensor_id: "a", time: "2026-11-23T08:00:01.000000Z", values: { y: 4 } },
  ],
});

describe("live events", () => {
  it("turns a committed batch into one reading event per reading, ids offset-index", () => {
    const events = eventsOf(batch, all);
    expect(events.map((e) => e.id)).toStrictEqual(["7-0", "7-1", "7-2"]);
    expect(JSON.parse(events[0]?.data ?? "")).toStrictEqual({
      sensor_id: "a",
      time: "2026-11-23T08:00:00.000000Z",
      values: { x: 1, y: 2 },
    });
    expect(frame(events[1] ?? { id: "", event: "reading", data: "" })).toBe(
      'id: 7-1\nevent: reading\ndata: {"sensor_id":"b","time":"2026-11-23T08:00:00.000000Z","values":{"x":3}}\n\n',
    );
  });

  it("filters by sensor and metric, keeping ids (a resume skips by index)", () => {
    const f = { ...all, sensorIds: new Set(["a"]), metrics: new Set(["y"]) };
    expect(eventsOf(batch, f).map((e) => [e.id, e.data])).toStrictEqual([
      ["7-0", '{"sensor_id":"a","time":"2026-11-23T08:00:00.000000Z","values":{"y":2}}'],
      ["7-2", '{"sensor_id":"a","time":"2026-11-23T08:00:01.000000Z","values":{"y":4}}'],
    ]);
    expect(eventsOf(batch, all, 1).map((e) => e.id)).toStrictEqual(["7-2"]);
  });

  it("passes presence always and alarms when asked, for the sensors asked", () => {
    const presence = entry(8, "sensor_a.presence", { sensor_id: "a", state: "online", previous: null, ts: "t" });
    const alarm = entry(9, "sensor_b.alarms.trigger", { sensor_id: "b", state: "raised" });
    expect(eventsOf(presence, all).map((e) => [e.id, e.event])).toStrictEqual([["8-0", "presence"]]);
    expect(eventsOf(alarm, all)).toStrictEqual([]);
    expect(eventsOf(alarm, { ...all, alarms: true }).map((e) => e.event)).toStrictEqual(["alarm"]);
    expect(eventsOf(alarm, { ...all, alarms: true, sensorIds: new Set(["a"]) })).toStrictEqual([]);
    // already delivered
    expect(eventsOf(presence, all, 0)).toStrictEqual([]);
  });

  it("ignores what does not parse", () => {
    expect(eventsOf(entry(1, "readings.committed", "{oops"), all)).toStrictEqual([]);
    expect(eventsOf(entry(1, "readings.committed", { readings: 3 }), all)).toStrictEqual([]);
    expect(eventsOf(entry(1, "sensor_a.presence", "null"), all)).toStrictEqual([]);
  });

  it("reads back its own ids only", () => {
    expect(parseEventId("12-3")).toStrictEqual({ offset: 12, index: 3 });
    for (const bad of ["", "12", "a-1", "1-2-3", "-1-0", "1.5-0"]) expect(parseEventId(bad), bad).toBeUndefined();
  });
});
