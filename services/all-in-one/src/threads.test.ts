import { type AddressInfo, createServer } from "node:net";
import { gatewayConfigSchema } from "@sensorstream/gateway";
import { Health, PortInUseError, silentLogger } from "@sensorstream/runtime";
import { describe, expect, it } from "vitest";
import { startServiceThread } from "./threads.js";

// The worker runs dist/service-thread.js: `npm test` builds first.
describe("startServiceThread", () => {
  it("rejects, saying why, when the thread cannot start its service; readiness shows the thread down", async () => {
    const health = new Health();
    const failures: Error[] = [];
    await expect(
      startServiceThread("no-such-service", {}, { logger: silentLogger(), health, onFailure: (e) => failures.push(e) }),
    ).rejects.toThrow(/no platform service named no-such-service/);
    expect(health.report()).toEqual({ ready: false, checks: { no_such_service_thread: false } });
    expect(failures).toEqual([]);
  });
});

describe("startServiceThread: a taken port", () => {
  it("rejects with the PortInUseError the gateway threw in its thread, so npm start says which variable to change", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      // Open mode needs no database; the bus may be unreachable: the gateway listens while it keeps trying.
      const config = gatewayConfigSchema.parse({
        AMQP_URL: "amqp://127.0.0.1:1",
        DATABASE_URL: "postgres://127.0.0.1:1/none",
        MQTT_AUTH: "open",
        MQTT_HOST: "127.0.0.1",
        MQTT_PORT: String(port),
        MQTT_WS_PORT: "0",
        BUS_WAIT_MS: "0",
      });
      const health = new Health();
      const err = await startServiceThread("gateway", config, {
        logger: silentLogger(),
        health,
        onFailure: () => {},
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as PortInUseError).message).toBe(
        `MQTT_PORT=${port} is already in use by another process; stop it or choose another port`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 30_000);
});
