import { describe, expect, it } from "vitest";
import { DEAD_LETTER_BODY_LIMIT, decide } from "./bridge.js";

const input = (topic: string, payload: string | Buffer, maxPayloadBytes = 1024) => ({
  topic,
  payload: typeof payload === "string" ? Buffer.from(payload) : payload,
  msgId: "m-1",
  receivedUs: Date.UTC(2026, 10, 23, 8) * 1000,
  maxPayloadBytes,
});

describe("decide", () => {
  it("forwards a valid reading, normalized, to sensor_<id>.data", () => {
    const d = decide(input("sensors/crane-1/data", '{"value": 3.2}'));
    expect(d.action).toBe("publish");
    if (d.action !== "publish") return;
    expect(d.routingKey).toBe("sensor_crane-1.data");
    expect(d.readings).toBe(1);
    expect(JSON.parse(d.body.toString())).toEqual({
      msg_id: "m-1",
      sensor_id: "crane-1",
      received_at: "2026-11-23T08:00:00.000000Z",
      readings: [{ time: "2026-11-23T08:00:00.000000Z", values: { value: 3.2 } }],
    });
  });

  it("maps every device kind to its routing key", () => {
    const ack = JSON.stringify({ command_id: "0b0c5a0e-7a43-4a8e-9f1c-1f6b1c1d2e3f", status: "ok" });
    expect(decide(input("sensors/a/logs", '{"msg":"hi"}'))).toMatchObject({ routingKey: "sensor_a.logs" });
    expect(decide(input("sensors/a/status", '{"state":"online"}'))).toMatchObject({ routingKey: "sensor_a.status" });
    expect(decide(input("sensors/a/acks", ack))).toMatchObject({ routingKey: "sensor_a.commands.ack" });
  });

  it.each([
    ["sensors/bad.id/data", '{"value":1}', "invalid_topic"],
    ["sensors/a/b/data", '{"value":1}', "invalid_topic"],
    ["elsewhere", '{"value":1}', "invalid_topic"],
    ["sensors/a/data", "{oops", "malformed_json"],
    ["sensors/a/data", '{"values":{"t":"hot"}}', "invalid_payload"],
    ["sensors/a/status", '{"state":"sleepy"}', "invalid_payload"],
  ])("dead-letters %s %s as %s", (topic, payload, reason) => {
    expect(decide(input(topic, payload))).toMatchObject({ action: "dead_letter", reason });
  });

  it("refuses an oversized payload before parsing it and keeps only its head", () => {
    const d = decide(input("sensors/a/data", Buffer.alloc(DEAD_LETTER_BODY_LIMIT * 3, 0x20), 2048));
    expect(d).toMatchObject({ action: "dead_letter", reason: "payload_too_large", sensorId: "a" });
    if (d.action !== "dead_letter") return;
    expect(d.body.byteLength).toBe(DEAD_LETTER_BODY_LIMIT);
    expect(d.originalBytes).toBe(DEAD_LETTER_BODY_LIMIT * 3);
    expect(d.error).toContain("MAX_PAYLOAD_BYTES");
  });

  it("refuses a topic the publisher may not use before looking at the payload", () => {
    const d = decide({
      ...input("sensors/crane-2/data", '{"value":1}'),
      identity: { kind: "sensor", sensorId: "crane-1" },
    });
    expect(d).toMatchObject({
      action: "dead_letter",
      reason: "not_authorized",
      sensorId: "crane-1",
      routingKey: "rejected.not_authorized",
      error: "sensor crane-1 may not publish to sensors/crane-2/data",
    });
    const own = decide({
      ...input("sensors/crane-1/data", '{"value":1}'),
      identity: { kind: "sensor", sensorId: "crane-1" },
    });
    expect(own.action).toBe("publish");
  });
});

describe("connection stamps", () => {
  it("stamps a status message with when its connection was accepted, and nothing else", () => {
    const connectedAtUs = Date.UTC(2026, 10, 23, 7, 59) * 1000 + 123;
    const status = decide({ ...input("sensors/a/status", '{"state":"offline"}'), connectedAtUs });
    expect(status.action).toBe("publish");
    expect(JSON.parse(status.body.toString()).connected_at).toBe("2026-11-23T07:59:00.000123Z");
    const data = decide({ ...input("sensors/a/data", '{"value":1}'), connectedAtUs });
    expect(JSON.parse(data.body.toString()).connected_at).toBeUndefined();
  });
});

describe("refusals", () => {
  it("refuses everything from a revoked credential, and platform topics from anyone", () => {
    const identity = { kind: "sensor", sensorId: "a" } as const;
    const revoked = decide({ ...input("sensors/a/data", '{"value":1}'), identity, revoked: true });
    expect(revoked).toMatchObject({ action: "dead_letter", reason: "not_authorized", sensorId: "a" });
    const command = decide({ ...input("sensors/a/commands/sleep", "{}"), identity });
    expect(command).toMatchObject({ action: "dead_letter", reason: "not_authorized" });
    const open = decide({ ...input("alerts/a", "{}"), identity: { kind: "anonymous", sensorId: undefined } });
    expect(open).toMatchObject({ action: "dead_letter", reason: "not_authorized" });
  });
});
