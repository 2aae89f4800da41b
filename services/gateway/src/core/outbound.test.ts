import { describe, expect, it } from "vitest";
import { decideOutbound, OUTBOUND_BINDINGS } from "./outbound.js";

const NOW = Date.parse("2026-01-01T00:00:00Z");
const command = (over: Record<string, unknown> = {}) => ({
  command_id: "2f1c6f2e-8a51-4d1e-9a59-3f1e0e7b9c11",
  name: "change_sample_frequency",
  args: { hz: 5 },
  issued_at: "2025-12-31T23:59:00Z",
  expires_at: "2026-01-01T00:05:00Z",
  ...over,
});
const alert = (over: Record<string, unknown> = {}) => ({
  alarm_id: "a-1",
  rule_id: "r-1",
  sensor_id: "s-1",
  metric: "temp",
  value: 91,
  threshold: 90,
  severity: "critical",
  state: "raised",
  ts: "2026-01-01T00:00:00Z",
  ...over,
});
const buf = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v));

describe("decideOutbound", () => {
  it("binds the three command names and alarms explicitly, never the device's own commands.ack or the gateway's .delivered", () => {
    expect([...OUTBOUND_BINDINGS]).toEqual([
      "*.commands.sleep",
      "*.commands.awake",
      "*.commands.change_sample_frequency",
      "*.alarms.trigger",
    ]);
  });

  it("delivers a valid command on sensors/<id>/commands/<name>, the sensor taken from the routing key", () => {
    const d = decideOutbound("sensor_s-1.commands.change_sample_frequency", buf(command()), NOW);
    expect(d).toMatchObject({
      action: "command",
      sensorId: "s-1",
      topic: "sensors/s-1/commands/change_sample_frequency",
    });
    if (d.action !== "command") throw new Error("unreachable");
    expect(JSON.parse(d.payload.toString())).toEqual(command());
  });

  it("drops a command whose expires_at has passed (or is now)", () => {
    const d = decideOutbound(
      "sensor_s-1.commands.sleep",
      buf(command({ name: "sleep", expires_at: "2026-01-01T00:00:00Z" })),
      NOW,
    );
    expect(d).toEqual({ action: "expired", sensorId: "s-1", commandId: command().command_id });
  });

  it("refuses a body naming another command than the routing key, bad JSON, a schema violation, a bad key", () => {
    expect(decideOutbound("sensor_s-1.commands.sleep", buf(command()), NOW)).toMatchObject({
      action: "invalid",
      kind: "command",
    });
    expect(decideOutbound("sensor_s-1.commands.sleep", buf("{nope"), NOW)).toMatchObject({
      action: "invalid",
      kind: "command",
    });
    expect(
      decideOutbound("sensor_s-1.commands.awake", buf(command({ name: "awake", command_id: "x" })), NOW),
    ).toMatchObject({
      action: "invalid",
      kind: "command",
    });
    expect(decideOutbound("sensor_s.1.commands.sleep", buf(command()), NOW)).toMatchObject({ action: "invalid" });
    expect(decideOutbound("gateway.activity", buf({}), NOW)).toMatchObject({ action: "invalid", kind: "unknown" });
  });

  it("publishes a valid alert on alerts/<id> and refuses one whose body names another sensor", () => {
    const d = decideOutbound("sensor_s-1.alarms.trigger", buf(alert()), NOW);
    expect(d).toMatchObject({ action: "alert", sensorId: "s-1", topic: "alerts/s-1" });
    expect(decideOutbound("sensor_s-2.alarms.trigger", buf(alert()), NOW)).toMatchObject({
      action: "invalid",
      kind: "alert",
    });
    expect(decideOutbound("sensor_s-1.alarms.trigger", buf(alert({ severity: "dire" })), NOW)).toMatchObject({
      action: "invalid",
      kind: "alert",
    });
  });
});
