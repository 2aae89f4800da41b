/**
 * The simulator against a real gateway whose per-IP connect rate refuses most of the fleet (CONNACK 3): the refused
 * sensors back off exponentially (with jitter) instead of retrying every second, their progress says why they are
 * not connected, and in the end they all connect and every reading is acknowledged.
 */
import { gatewayService } from "@sensorstream/gateway";
import { type FleetStats, startFleet } from "@sensorstream/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { createTestDatabase, type TestDatabase } from "../fixtures/pg.js";
import { metricValue } from "../fixtures/prometheus.js";
import { startService } from "../fixtures/services.js";
import { gatewayEnv } from "./harness.js";

const SENSORS = 30;
const DURATION_S = 9;
const startGateway = (env: Record<string, string>) => startService(gatewayService, env);

describe("simulator backoff against a rate-limited gateway", () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    db = await createTestDatabase("sim_backoff");
    vhost = await createTestVhost("sim_backoff");
    // One connect per second per IP (bursts of two): the fleet of 30 cannot all connect at once.
    gateway = await startGateway({ ...(await gatewayEnv(vhost.url, db.url)), MQTT_CONNECT_RATE: "1" });
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await vhost?.drop();
    await db?.drop();
  });

  it("retries refused connects with growing waits and says why sensors are not connected", async () => {
    const progress: FleetStats[] = [];
    const fleet = startFleet({
      mqttUrl: `mqtt://127.0.0.1:${gateway.service.mqttPort}`,
      sensors: SENSORS,
      rateHz: 2,
      durationS: DURATION_S,
      idPrefix: `bo${Math.random().toString(36).slice(2, 7)}`,
      types: ["temperature"],
      connectConcurrency: SENSORS,
      progressIntervalMs: 500,
      onProgress: (s) => progress.push(s),
    });
    const stats = await fleet.done;
    const metrics = await gateway.registry.metrics();
    const refused = metricValue(metrics, "sensorstream_gateway_connects_total", { outcome: "rate_limited" });
    const accepted = metricValue(metrics, "sensorstream_gateway_connects_total", { outcome: "open" });

    // The limit did refuse, and the progress said so while it lasted.
    expect(refused).toBeGreaterThan(0);
    const why = progress.find((p) => p.connected < SENSORS)?.not_connected ?? {};
    expect(why["refused: server unavailable (rate limit, connection cap or store down)"]).toBeGreaterThan(0);
    expect(stats.connect_errors).toBe(refused);
    // Waits of 0.5–1 s, then 1–2, 2–4, 4–8 s: within DURATION_S a sensor tries at most 5 times (retrying every second
    // it would try about DURATION_S times).
    expect(refused + accepted).toBeLessThanOrEqual(SENSORS * 5);
    // A connected sensor is no longer counted as refused.
    for (const p of progress)
      expect(Object.values(p.not_connected).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(SENSORS - p.connected);
    expect(progress.at(-1)?.connected).toBeGreaterThan(1);
    expect(stats.readings_acked).toBe(stats.readings_sent);
  }, 60_000);
});
