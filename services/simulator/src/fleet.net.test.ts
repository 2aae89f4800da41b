import { randomBytes } from "node:crypto";
import { microsOf, parseDevicePayload } from "@sensorstream/contracts";
import { connect, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet } from "./fleet.js";

/** Needs a real MQTT broker: MQTT_TEST_URL, or the Mosquitto on 127.0.0.1:1883. */
const url = process.env.MQTT_TEST_URL ?? "mqtt://127.0.0.1:1883";
const prefix = `nt${randomBytes(4).toString("hex")}`;

type Received = { topic: string; payload: string; retain: boolean };

describe("a fleet against a real broker", () => {
  let observer: MqttClient;
  const received: Received[] = [];

  beforeAll(async () => {
    observer = connect(url, { clientId: `${prefix}-observer`, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
    await new Promise<void>((resolve, reject) => {
      observer.once("connect", () => resolve());
      observer.once("error", (err) =>
        reject(new Error(`cannot reach the MQTT broker at ${url} (start Mosquitto or set MQTT_TEST_URL): ${err}`)),
      );
    });
    // `+` must fill a whole topic level, so subscribe to every sensor and keep this test's own.
    observer.on("message", (topic, payload, packet) => {
      if (topic.startsWith(`sensors/${prefix}-`))
        received.push({ topic, payload: payload.toString("utf8"), retain: packet.retain });
    });
    await observer.subscribeAsync(["sensors/+/data", "sensors/+/status"], { qos: 1 });
  });

  afterAll(async () => {
    if (!observer) return;
    // Leave no retained status behind.
    for (let n = 1; n <= 3; n++)
      await observer.publishAsync(`sensors/${prefix}-${n}/status`, "", { retain: true, qos: 1 });
    await observer.endAsync();
  });

  it("delivers every acked reading, births and a shutdown status", async () => {
    const fleet = startFleet({
      mqttUrl: url,
      sensors: 3,
      rateHz: 20,
      batch: 5,
      durationS: 2,
      idPrefix: prefix,
      types: ["vibration", "gps", "temperature"],
    });
    const stats = await fleet.done;
    expect(stats.connect_errors).toBe(0);
    expect(stats.publish_errors).toBe(0);
    expect(stats.messages_sent).toBeGreaterThanOrEqual(3 * 6);
    expect(stats.readings_acked).toBe(stats.readings_sent);

    // PUBACK to the publisher may overtake delivery to the observer: wait for the stragglers.
    const data = () => received.filter((r) => r.topic.endsWith("/data"));
    for (let i = 0; i < 100 && data().length < stats.messages_acked; i++) await new Promise((r) => setTimeout(r, 50));

    const bySensor = new Map<string, number[]>();
    let values = 0;
    let positions = 0;
    for (const m of data()) {
      const id = m.topic.split("/")[1] ?? "";
      const parsed = parseDevicePayload("data", Buffer.from(m.payload), { sensor_id: id, msg_id: "t", received_us: 0 });
      if (!parsed.ok || parsed.kind !== "data") throw new Error(`rejected: ${JSON.stringify(parsed)}`);
      const times = bySensor.get(id) ?? [];
      for (const r of parsed.message.readings) {
        times.push(microsOf(r.time));
        values += Object.keys(r.values).length;
        if (r.lat !== undefined) positions++;
      }
      bySensor.set(id, times);
    }
    expect(data()).toHaveLength(stats.messages_acked);
    expect([...bySensor.values()].reduce((n, t) => n + t.length, 0)).toBe(stats.readings_acked);
    expect(values).toBe(stats.values_acked);
    expect(positions).toBe(stats.positions_acked);
    expect(positions).toBeGreaterThan(0);
    expect([...bySensor.keys()].sort()).toEqual(fleet.sensorIds);
    for (const times of bySensor.values()) expect(new Set(times).size).toBe(times.length);

    const statuses = received.filter((r) => r.topic.endsWith("/status")).map((r) => JSON.parse(r.payload));
    const births = statuses.filter((s) => s.state === "online");
    expect(births.map((b) => b.type).sort()).toEqual(["gps", "temperature", "vibration"]);
    expect(births.every((b) => b.sample_hz === 20 && b.mode === "awake" && b.model === "sim-1")).toBe(true);
    for (let i = 0; i < 40 && statuses.length < 6; i++) await new Promise((r) => setTimeout(r, 50));
    const offline = received.filter((r) => r.topic.endsWith("/status")).map((r) => JSON.parse(r.payload));
    expect(offline.filter((s) => s.state === "offline" && s.reason === "shutdown")).toHaveLength(3);
  });

  it("is retained: a late subscriber sees each sensor's last status", async () => {
    const late = connect(url, { clientId: `${prefix}-late`, clean: true, reconnectPeriod: 0 });
    const retained: Received[] = [];
    late.on("message", (topic, payload, packet) => {
      if (topic.startsWith(`sensors/${prefix}-`)) {
        retained.push({ topic, payload: payload.toString("utf8"), retain: packet.retain });
      }
    });
    await new Promise<void>((resolve) => late.once("connect", () => resolve()));
    await Promise.all([1, 2, 3].map((n) => late.subscribeAsync(`sensors/${prefix}-${n}/status`, { qos: 1 })));
    for (let i = 0; i < 40 && retained.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    await late.endAsync();
    expect(retained.map((r) => r.topic).sort()).toEqual([1, 2, 3].map((n) => `sensors/${prefix}-${n}/status`));
    expect(retained.every((r) => r.retain && JSON.parse(r.payload).state === "offline")).toBe(true);
  });
});
