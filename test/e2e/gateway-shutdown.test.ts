import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { waitFor } from "../fixtures/wait.js";

/** The gateway's built entry point, as the container runs it (npm test builds first). */
const MAIN = fileURLToPath(new URL("../../services/gateway/dist/main.js", import.meta.url));

describe("gateway shutdown", () => {
  let vhost: TestVhost;
  beforeAll(async () => {
    vhost = await createTestVhost("gwstop");
  });
  afterAll(async () => {
    await vhost?.drop();
  });

  it("SIGTERM with clients connected closes them, sends the last activity report and exits 0", async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        AMQP_URL: vhost.url,
        MQTT_AUTH: "open",
        MQTT_HOST: "127.0.0.1",
        MQTT_PORT: "0",
        MQTT_WS_PORT: "0",
        HTTP_HOST: "127.0.0.1",
        HTTP_PORT: "0",
        // Only the final flush at shutdown can report this activity.
        ACTIVITY_INTERVAL_MS: "60000",
        DRAIN_TIMEOUT_MS: "20000",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const port = await waitFor(() => /"mqtt_port":(\d+)/.exec(out)?.[1], {
      timeoutMs: 30_000,
      message: () => `the gateway did not start:\n${out}`,
    });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: "stop-1", reconnectPeriod: 0 });
    const closed = new Promise<void>((r) => client.once("close", () => r()));
    await client.publishAsync("sensors/stop-1/data", JSON.stringify({ value: 1 }), { qos: 1 });

    child.kill("SIGTERM");
    const code = await exited;
    await closed;
    expect(code, out).toBe(0);
    const registry = await vhost.readQueue("registry");
    const keys = registry.map((m) => m.routingKey);
    const activity = registry
      .filter((m) => m.routingKey === "gateway.activity")
      .map((m) => JSON.parse(String(m.content)));
    expect(activity.flatMap((a) => a.sensors.map((s: { sensor_id: string }) => s.sensor_id))).toContain("stop-1");
    const connection = registry
      .filter((m) => m.routingKey === "sensor_stop-1.connection")
      .map((m) => JSON.parse(String(m.content)));
    expect(
      connection.map((e) => e.connected),
      keys.join(","),
    ).toEqual([true, false]);
    // The gateway no longer declares command.acks: nothing consumes it yet.
    await expect(vhost.queueDepth("command.acks")).rejects.toThrow(/NOT_FOUND|404/);
  });
});
