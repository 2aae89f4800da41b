import { microsOf, parseDevicePayload } from "@sensorstream/contracts";
import { describe, expect, it } from "vitest";
import { birthStatus, buildDataMessage, SHUTDOWN_STATUS, WILL_STATUS } from "./payload.js";
import { sampleTimeUs } from "./schedule.js";
import { createSignal, SENSOR_TYPES, seededRandom } from "./signals.js";

const T0 = 1_795_000_000_000_001;
const ctx = { sensor_id: "sim-01", msg_id: "m-1", received_us: T0 + 10_000_000 };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("data messages", () => {
  it("are a single reading object when batch is 1", () => {
    const clock = { t0Us: T0, rateHz: 10, batch: 1 };
    const msg = buildDataMessage(createSignal("vibration", { random: seededRandom(1) }), clock, 7);
    const json = JSON.parse(msg.payload);
    expect(Array.isArray(json)).toBe(false);
    expect(json).toMatchObject({ seq: 7, values: { accel_rms: expect.any(Number) } });
    expect(json.ts).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(microsOf(json.ts)).toBe(sampleTimeUs(clock, 7));
    expect(msg).toMatchObject({ readings: 1, values: 3, positions: 0 });
  });

  it.each(SENSOR_TYPES)("of %s sensors are accepted by the platform's contract, times intact", (type) => {
    const clock = { t0Us: T0, rateHz: 33, batch: 25 };
    const msg = buildDataMessage(createSignal(type, { random: seededRandom(2) }), clock, 50);
    const parsed = parseDevicePayload("data", bytes(msg.payload), ctx);
    if (!parsed.ok) throw new Error(`rejected: ${parsed.error}`);
    if (parsed.kind !== "data") throw new Error(`parsed as ${parsed.kind}`);
    const readings = parsed.message.readings;
    expect(readings).toHaveLength(25);
    expect(readings.map((r) => microsOf(r.time))).toEqual(
      Array.from({ length: 25 }, (_, j) => sampleTimeUs(clock, 50 + j)),
    );
    expect(readings.map((r) => r.seq)).toEqual(Array.from({ length: 25 }, (_, j) => 50 + j));
    const values = readings.reduce((n, r) => n + Object.keys(r.values).length, 0);
    const positions = readings.filter((r) => r.lat !== undefined && r.lon !== undefined).length;
    expect(msg).toEqual({ payload: msg.payload, readings: 25, values, positions });
    expect(positions).toBe(type === "gps" ? 25 : 0);
  });
});

describe("status messages", () => {
  it("birth, will and shutdown are valid status payloads", () => {
    const birth = parseDevicePayload("status", bytes(birthStatus("gps", 20)), ctx);
    if (!birth.ok || birth.kind !== "status") throw new Error("birth rejected");
    expect(birth.message.status).toMatchObject({
      state: "online",
      mode: "awake",
      sample_hz: 20,
      type: "gps",
      model: "sim-1",
      firmware: "1.0.0",
    });
    for (const offline of [WILL_STATUS, SHUTDOWN_STATUS]) {
      const r = parseDevicePayload("status", bytes(offline), ctx);
      if (!r.ok || r.kind !== "status") throw new Error("offline status rejected");
      expect(r.message.status.state).toBe("offline");
    }
    expect(JSON.parse(WILL_STATUS)).toEqual({ state: "offline" });
  });
});
