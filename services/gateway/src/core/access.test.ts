import { describe, expect, it } from "vitest";
import {
  anonymous,
  filterCovers,
  isPlatformTopic,
  isValidFilter,
  mayPublish,
  maySubscribe,
  mayUseClientId,
} from "./access.js";

const sensor = { kind: "sensor", sensorId: "crane-1" } as const;
const dashboard = { kind: "subscriber", name: "dash", topics: ["alerts/#", "sensors/+/status"] } as const;

describe("access", () => {
  it("a sensor speaks only for itself", () => {
    expect(mayPublish(sensor, "sensors/crane-1/data")).toBe(true);
    expect(mayPublish(sensor, "sensors/crane-2/data")).toBe(false);
    expect(mayPublish(sensor, "sensors/crane-10/data")).toBe(false);
    expect(mayPublish(sensor, "alerts/crane-1")).toBe(false);
  });

  it("a sensor subscribes only to its own commands", () => {
    expect(maySubscribe(sensor, "sensors/crane-1/commands/#")).toBe(true);
    expect(maySubscribe(sensor, "sensors/crane-1/commands/sleep")).toBe(true);
    expect(maySubscribe(sensor, "sensors/crane-1/commands/+")).toBe(true);
    expect(maySubscribe(sensor, "sensors/crane-1/#")).toBe(false);
    expect(maySubscribe(sensor, "sensors/+/commands/#")).toBe(false);
    expect(maySubscribe(sensor, "#")).toBe(false);
    expect(maySubscribe(sensor, "$SYS/#")).toBe(false);
  });

  it("a read-only subscriber publishes nothing and subscribes within its grants", () => {
    expect(mayPublish(dashboard, "alerts/x")).toBe(false);
    expect(maySubscribe(dashboard, "alerts/#")).toBe(true);
    expect(maySubscribe(dashboard, "alerts/crane-1")).toBe(true);
    expect(maySubscribe(dashboard, "sensors/crane-1/status")).toBe(true);
    expect(maySubscribe(dashboard, "sensors/+/status")).toBe(true);
    expect(maySubscribe(dashboard, "sensors/#")).toBe(false);
    expect(maySubscribe(dashboard, "sensors/crane-1/data")).toBe(false);
  });

  it("open mode trusts the client id but still keeps $SYS closed", () => {
    expect(anonymous("crane-1")).toEqual({ kind: "anonymous", sensorId: "crane-1" });
    expect(anonymous("mqttx_1.2")).toEqual({ kind: "anonymous", sensorId: undefined });
    expect(maySubscribe(anonymous("x"), "$SYS/#")).toBe(false);
    expect(maySubscribe(anonymous("x"), "#")).toBe(true);
  });

  it.each([
    ["#", "a/b", true],
    ["a/#", "a", true], // MQTT: "a/#" also matches the parent "a"
    ["a/#", "a/b/c", true],
    ["a/+", "a/b", true],
    ["a/+", "a/+", true],
    ["a/+", "a/#", false],
    ["a/b", "a/+", false],
    ["a/+/c", "a/b/c", true],
    ["a/+/c", "a/b/d", false],
  ])("filterCovers(%s, %s) = %s", (g, f, expected) => {
    expect(filterCovers(g, f)).toBe(expected);
  });

  it("validates grantable filters", () => {
    expect(isValidFilter("alerts/#")).toBe(true);
    expect(isValidFilter("sensors/+/status")).toBe(true);
    expect(isValidFilter("a/#/b")).toBe(false);
    expect(isValidFilter("a+/b")).toBe(false);
    expect(isValidFilter("$SYS/#")).toBe(false);
    expect(isValidFilter("")).toBe(false);
  });
});

describe("platform topics and client ids", () => {
  it("nobody publishes commands or alerts: sensors, subscribers and open-mode clients alike", () => {
    const open = anonymous("crane-1");
    for (const who of [sensor, dashboard, open]) {
      expect(mayPublish(who, "sensors/crane-1/commands/sleep")).toBe(false);
      expect(mayPublish(who, "sensors/crane-2/commands/sleep")).toBe(false);
      expect(mayPublish(who, "alerts/crane-1")).toBe(false);
      expect(mayPublish(who, "alerts")).toBe(false);
    }
    expect(mayPublish(open, "sensors/crane-2/data")).toBe(true);
    expect(isPlatformTopic("sensors/a/commandsx")).toBe(false);
    expect(isPlatformTopic("alertsx/a")).toBe(false);
  });

  it("a sensor's client id is its id; a subscriber's is its login, optionally with a ':' suffix", () => {
    expect(mayUseClientId(sensor, "crane-1", "crane-1")).toBe(true);
    expect(mayUseClientId(sensor, "crane-2", "crane-1")).toBe(false);
    expect(mayUseClientId(sensor, "crane-1x", "crane-1")).toBe(false);
    expect(mayUseClientId(dashboard, "subscriber:dash", "subscriber:dash")).toBe(true);
    expect(mayUseClientId(dashboard, "subscriber:dash:tab-2", "subscriber:dash")).toBe(true);
    expect(mayUseClientId(dashboard, "subscriber:dashboard", "subscriber:dash")).toBe(false);
    expect(mayUseClientId(dashboard, "crane-1", "subscriber:dash")).toBe(false);
    expect(mayUseClientId(anonymous("x"), "anything", undefined)).toBe(true);
  });
});
