import { describe, expect, it } from "vitest";
import {
  alarmRoutingKey,
  alertTopic,
  COMMAND_NAMES,
  commandRoutingKey,
  commandTopic,
  DEAD_LETTER_EXCHANGE,
  DEVICE_KINDS,
  type DeviceKind,
  deviceTopicFor,
  EXCHANGE,
  isSensorId,
  parseDeviceTopic,
  presenceRoutingKey,
  routingKeyFor,
  sensorIdFromRoutingKey,
  sensorIdSchema,
} from "./index.js";

const ID_64 = `a${"b".repeat(63)}`;

describe("parseDeviceTopic", () => {
  it.each<[string, string, DeviceKind, string]>([
    ["sensors/pump-7/data", "pump-7", "data", "sensor_pump-7.data"],
    ["sensors/pump-7/logs", "pump-7", "logs", "sensor_pump-7.logs"],
    ["sensors/pump-7/status", "pump-7", "status", "sensor_pump-7.status"],
    ["sensors/pump-7/acks", "pump-7", "acks", "sensor_pump-7.commands.ack"],
    ["sensors/A_1/data", "A_1", "data", "sensor_A_1.data"],
    ["sensors/0/data", "0", "data", "sensor_0.data"],
    [`sensors/${ID_64}/data`, ID_64, "data", `sensor_${ID_64}.data`],
  ])("routes %s", (topic, sensor_id, kind, routing_key) => {
    expect(parseDeviceTopic(topic)).toStrictEqual({ ok: true, sensor_id, kind, routing_key });
  });

  it.each([
    ["a dot", "sensors/a.b/data"],
    ["a + wildcard", "sensors/+/data"],
    ["a # wildcard", "sensors/#/data"],
    ["a + inside", "sensors/a+b/data"],
    ["65 characters", `sensors/${ID_64}x/data`],
    ["an empty id", "sensors//data"],
    ["a leading dash", "sensors/-a/data"],
    ["a leading underscore", "sensors/_a/data"],
    ["a space", "sensors/a b/data"],
    ["a non-ASCII letter", "sensors/pümp/data"],
    ["a NUL", "sensors/a\u0000/data"],
    ["a star", "sensors/*/data"],
  ])("refuses an id with %s", (_what, topic) => {
    const r = parseDeviceTopic(topic);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/is not a valid sensor id/);
  });

  it.each([
    "sensors/a",
    "sensors/a/data/extra",
    "sensors/a/commands/sleep",
    "sensors",
    "",
    "/sensors/a/data",
    "sensors/a/data/",
    "Sensors/a/data",
    "devices/a/data",
    "alerts/a",
  ])("refuses the topic %j (wrong shape)", (topic) => {
    const r = parseDeviceTopic(topic);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/is not sensors\/<id>\/\(data\|logs\|status\|acks\)/);
  });

  it.each([
    "ack",
    "Data",
    "commands",
    "data ",
    "",
    "alarms",
    "presence",
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
  ])("refuses the kind %j", (kind) => {
    const r = parseDeviceTopic(`sensors/a/${kind}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/is not a device topic kind/);
  });

  it("keeps quoted input short in errors", () => {
    const r = parseDeviceTopic(`sensors/${"x".repeat(10_000)}/data`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.length).toBeLessThan(200);
  });

  it("parses what deviceTopicFor builds, for every kind", () => {
    for (const kind of Object.keys(DEVICE_KINDS) as DeviceKind[]) {
      expect(parseDeviceTopic(deviceTopicFor("s-1", kind))).toStrictEqual({
        ok: true,
        sensor_id: "s-1",
        kind,
        routing_key: routingKeyFor("s-1", kind),
      });
    }
  });
});

describe("routing keys and topics", () => {
  it("names the exchanges", () => {
    expect(EXCHANGE).toBe("sensor_streaming");
    expect(DEAD_LETTER_EXCHANGE).toBe("sensor_streaming.dlx");
  });

  it("builds the keys of ARCHITECTURE.md", () => {
    expect(routingKeyFor("s1", "data")).toBe("sensor_s1.data");
    expect(routingKeyFor("s1", "logs")).toBe("sensor_s1.logs");
    expect(routingKeyFor("s1", "status")).toBe("sensor_s1.status");
    expect(routingKeyFor("s1", "acks")).toBe("sensor_s1.commands.ack");
    expect(COMMAND_NAMES).toStrictEqual(["sleep", "awake", "change_sample_frequency"]);
    expect(COMMAND_NAMES.map((n) => commandRoutingKey("s1", n))).toStrictEqual([
      "sensor_s1.commands.sleep",
      "sensor_s1.commands.awake",
      "sensor_s1.commands.change_sample_frequency",
    ]);
    expect(COMMAND_NAMES.map((n) => commandTopic("s1", n))).toStrictEqual([
      "sensors/s1/commands/sleep",
      "sensors/s1/commands/awake",
      "sensors/s1/commands/change_sample_frequency",
    ]);
    expect(alarmRoutingKey("s1")).toBe("sensor_s1.alarms.trigger");
    expect(alertTopic("s1")).toBe("alerts/s1");
    expect(presenceRoutingKey("s1")).toBe("sensor_s1.presence");
  });

  it("sensorIdFromRoutingKey reads the id back from every key", () => {
    const keys = [
      ...(Object.keys(DEVICE_KINDS) as DeviceKind[]).map((k) => routingKeyFor("pump_7-a", k)),
      ...COMMAND_NAMES.map((n) => commandRoutingKey("pump_7-a", n)),
      alarmRoutingKey("pump_7-a"),
      presenceRoutingKey("pump_7-a"),
      "sensor_pump_7-a",
    ];
    for (const key of keys) expect(sensorIdFromRoutingKey(key)).toBe("pump_7-a");
    expect(sensorIdFromRoutingKey(`sensor_${ID_64}.data`)).toBe(ID_64);
  });

  it.each([
    "sensors_a.data",
    "Sensor_a.data",
    "sensor_.data",
    "sensor_",
    "sensor_+.data",
    "sensor_#.data",
    "sensor_*.data",
    "sensor_-a.data",
    `sensor_${ID_64}x.data`,
    "a.data",
    "",
  ])("sensorIdFromRoutingKey(%j) is undefined", (key) => {
    expect(sensorIdFromRoutingKey(key)).toBeUndefined();
  });
});

describe("sensor ids", () => {
  it("isSensorId and sensorIdSchema agree", () => {
    for (const id of ["a", "A-1_b", ID_64, "", "a.b", "+", "#", `${ID_64}x`, "-a", "a/b"]) {
      expect(sensorIdSchema.safeParse(id).success).toBe(isSensorId(id));
    }
    expect(isSensorId(ID_64)).toBe(true);
    expect(isSensorId(`${ID_64}x`)).toBe(false);
  });
});
