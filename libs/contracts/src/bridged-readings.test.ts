import { describe, expect, it } from "vitest";
import { bridgedReadingsBody, parseBridgedElements } from "./bridged-readings.js";

const message = (sensor: string, value: number) => ({
  msg_id: `m-${sensor}-${value}`,
  sensor_id: sensor,
  received_at: "2026-11-30T02:00:00.000001Z",
  readings: [{ time: "2026-11-30T02:00:00.000000Z", values: { temperature: value } }],
});
const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));

describe("readings.bridged", () => {
  it("wraps serialized data messages in an array that parses back to them, in order", () => {
    const body = bridgedReadingsBody([bytes(message("a", 1)), bytes(message("b", 2)), bytes(message("a", 3))]);
    expect(JSON.parse(body.toString())).toStrictEqual([message("a", 1), message("b", 2), message("a", 3)]);
    const r = parseBridgedElements(body);
    expect(
      r.ok && r.elements.map((e) => e.ok && `${e.message.sensor_id}:${e.message.readings[0]?.values.temperature}`),
    ).toStrictEqual(["a:1", "b:2", "a:3"]);
  });
});

describe("readings.bridged, element by element", () => {
  it("reports each bad element on its own, with the sensor and message it names, beside the good ones", () => {
    const bad = { ...message("b", 2), readings: [{ time: "yesterday", values: { temperature: 1 } }] };
    const r = parseBridgedElements(bytes([message("a", 1), bad, { sensor_id: "no.dots", msg_id: 7 }, message("c", 3)]));
    if (!r.ok) throw new Error(r.error);
    expect(r.elements.map((e) => e.ok)).toStrictEqual([true, false, false, true]);
    expect(r.elements[1]).toMatchObject({ ok: false, raw: bad, sensorId: "b", msgId: "m-b-2" });
    expect(r.elements[1]?.ok === false && r.elements[1].error).toMatch(/time/);
    expect(r.elements[2]).toMatchObject({ ok: false, sensorId: undefined, msgId: undefined });
    expect(r.elements[3]?.ok && r.elements[3].message.sensor_id).toBe("c");
  });

  it("refuses whole only a body that is not a non-empty array", () => {
    expect(parseBridgedElements(Buffer.from("]["))).toMatchObject({ ok: false, error: /not JSON/ });
    expect(parseBridgedElements(bytes({}))).toMatchObject({ ok: false, error: /non-empty array/ });
    expect(parseBridgedElements(bytes([]))).toMatchObject({ ok: false, error: /non-empty array/ });
  });
});
