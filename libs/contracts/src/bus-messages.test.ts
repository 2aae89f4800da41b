import { describe, expect, it } from "vitest";
import { logMessageSchema, parseBusMessage } from "./index.js";

const message = {
  msg_id: "m-1",
  sensor_id: "pump-7",
  received_at: "2026-11-23T08:00:05.000001Z",
  entries: [{ time: "2026-11-23T08:00:05.000001Z", level: "info", msg: "boot", fields: { fw: "1.4" } }],
};
const parse = (body: unknown, routingKey = "sensor_pump-7.logs") =>
  parseBusMessage(logMessageSchema, Buffer.from(typeof body === "string" ? body : JSON.stringify(body)), routingKey);

describe("parseBusMessage", () => {
  it("accepts a message that matches its contract and its routing key", () => {
    expect(parse(message)).toStrictEqual({ ok: true, message });
  });

  it("reads the bytes of a view into a larger buffer", () => {
    const framed = Buffer.from(`xx${JSON.stringify(message)}yy`);
    const r = parseBusMessage(logMessageSchema, framed.subarray(2, framed.length - 2), "sensor_pump-7.logs");
    expect(r.ok).toBe(true);
  });

  it.each<[string, unknown, string, RegExp]>([
    ["bytes that are not JSON", "][", "sensor_pump-7.logs", /^not JSON: /],
    ["a message breaking its contract", { ...message, entries: [] }, "sensor_pump-7.logs", /^entries: /],
    ["a sensor_id that is not the routing key's", message, "sensor_other.logs", /does not match sensor_id pump-7/],
    ["a routing key naming no sensor", message, "gateway.activity", /does not match sensor_id pump-7/],
  ])("refuses %s", (_what, body, routingKey, error) => {
    const r = parse(body, routingKey);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(error);
  });
});
