import { ConfigError } from "@sensorstream/runtime";
import { describe, expect, it } from "vitest";
import { loadGatewayConfig } from "./config.js";

describe("gateway config", () => {
  it("has TLS off by default and the listener ports the deployment mounts", () => {
    const c = loadGatewayConfig({});
    expect(c.MQTT_TLS_CERT_FILE).toBeUndefined();
    expect([c.MQTT_TLS_PORT, c.MQTT_WSS_PORT, c.MQTT_PROXY_PROTOCOL]).toEqual([8883, 8884, false]);
  });

  it("refuses half a TLS configuration, naming what is missing", () => {
    expect(() => loadGatewayConfig({ MQTT_TLS_CERT_FILE: "/tls/tls.crt" })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ MQTT_TLS_CA_FILE: "/tls/ca.crt" })).toThrow(/MQTT_TLS_CA_FILE needs/);
    const c = loadGatewayConfig({ MQTT_TLS_CERT_FILE: "/tls/tls.crt", MQTT_TLS_KEY_FILE: "/tls/tls.key" });
    expect(c.MQTT_TLS_KEY_FILE).toBe("/tls/tls.key");
  });

  it("publishes each turn's data messages alone unless told to wait for others (BRIDGED_LINGER_MS), at most 1 s", () => {
    expect(loadGatewayConfig({}).BRIDGED_LINGER_MS).toBe(0);
    expect(loadGatewayConfig({ BRIDGED_LINGER_MS: "5" }).BRIDGED_LINGER_MS).toBe(5);
    expect(() => loadGatewayConfig({ BRIDGED_LINGER_MS: "5000" })).toThrow(/BRIDGED_LINGER_MS/);
  });
});
