import { Writable } from "node:stream";
import { loadAllInOneConfig, PLATFORM_SERVICES, type Platform, startPlatform } from "@sensorstream/all-in-one";
import { createLogger, createRegistry, VERSION } from "@sensorstream/runtime";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { createTestDatabase, type TestDatabase } from "../fixtures/pg.js";
import { waitFor } from "../fixtures/wait.js";
import { countRows } from "./harness.js";

type Line = { service?: string; version?: string; msg?: string };

/** npm start's composition (startPlatform), in this process, on a fresh vhost and database. */
describe("the all-in-one platform", () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let platform: Platform;
  const lines: Line[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("platform");
    vhost = await createTestVhost("platform");
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Line);
        done();
      },
    });
    const config = loadAllInOneConfig({
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      MQTT_HOST: "127.0.0.1",
      HTTP_HOST: "127.0.0.1",
      MQTT_PORT: "0",
      MQTT_WS_PORT: "0",
      HTTP_PORT: "0",
      LOG_LEVEL: "info",
      DEMO: "false",
    });
    const logger = createLogger({ version: VERSION, level: config.LOG_LEVEL, destination });
    platform = await startPlatform(config, { logger, registry: createRegistry({ defaultMetrics: false }) });
    await waitFor(async () => (await platform.http.inject({ url: "/readyz" })).statusCode === 200, {
      message: "the platform never became ready",
    });
  });
  afterAll(async () => {
    await platform?.stop();
    await vhost?.drop();
    await db?.drop();
  });

  it("stores a reading and serves the self-registered sensor on the API", async () => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${platform.mqttPort}`, { clientId: "plat-1" });
    await c.publishAsync("sensors/plat-1/status", JSON.stringify({ state: "online" }), { qos: 1 });
    await c.publishAsync("sensors/plat-1/data", JSON.stringify({ ts: "2026-11-29T10:00:00Z", value: 4.5 }), { qos: 1 });
    await waitFor(async () => (await countRows(db, "sensor_id = 'plat-1'")) === 1, { message: "no row stored" });
    await c.endAsync();
    const res = await platform.http.inject({
      url: "/api/sensors/plat-1",
      headers: { authorization: `Bearer ${platform.apiToken}` },
    });
    expect(res.statusCode).toBe(200);
    expect((res.json() as { id: string }).id).toBe("plat-1");
  });

  it("logs each line with the service that wrote it and the version", () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.version, JSON.stringify(line)).toBe(VERSION);
      expect(
        PLATFORM_SERVICES.map((s) => s.name),
        JSON.stringify(line),
      ).toContain(line.service);
    }
    const writers = new Set(lines.map((l) => l.service));
    for (const name of ["gateway", "registry", "measurement-ingester", "log-ingester", "api"]) {
      expect(writers, name).toContain(name);
    }
    expect(lines).toContainEqual(expect.objectContaining({ service: "gateway", msg: "gateway listening" }));
  });
});
