import { describe, expect, it } from "vitest";
import { anonymous, filterCovers, isValidFilter, mayPublish, maySubscribe } from "./access.js";

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
