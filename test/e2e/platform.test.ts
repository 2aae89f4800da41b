import { Writable } from "node:stream";
import { PLATFORM_SERVICES, type Platform } from "@sensorstream/all-in-one";
import { createLogger, VERSION } from "@sensorstream/runtime";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "../fixtures/pg.js";
import { startTestPlatform, type TestPlatform } from "../fixtures/platform.js";
import { waitFor } from "../fixtures/wait.js";
import { countRows } from "./harness.js";

type Line = { service?: string; version?: string; msg?: string };

/** npm start's composition (startPlatform), in this process, on a fresh vhost and database. */
describe("the all-in-one platform", () => {
  let t: TestPlatform;
  let db: TestDatabase;
  let platform: Platform;
  const lines: Line[] = [];

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Line);
        done();
      },
    });
    t = await startTestPlatform("platform", {
      env: { LOG_LEVEL: "info" },
      logger: (level) => createLogger({ version: VERSION, level, destination }),
    });
    platform = t.platform;
    db = t.db;
  });
  afterAll(async () => {
    await t?.close();
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

  it("runs the gateway in a thread of its own (PLATFORM_THREADS): its metrics and checks are the process's", async () => {
    const metrics = await platform.http.inject({ url: "/metrics" });
    expect(metrics.statusCode).toBe(200);
    // The gateway's counters come from its thread, the ingester's from the main one: one exposition.
    expect(metrics.body).toMatch(/^sensorstream_gateway_messages_total\{.*\} [1-9]/m);
    expect(metrics.body).toMatch(/^sensorstream_ingester_rows_total\{.*outcome="inserted".*\} [1-9]/m);
    const ready = await platform.http.inject({ url: "/readyz" });
    const checks = (ready.json() as { checks: Record<string, boolean> }).checks;
    expect(checks).toMatchObject({ gateway_thread: true, gateway_bus: true, measurement_ingester_bus: true });
    const summary = await (await platform.metrics()).getSingleMetric("sensorstream_gateway_clients")?.get();
    expect(summary?.values.length).toBeGreaterThan(0);
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
