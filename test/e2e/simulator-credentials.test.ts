/**
 * The simulator against a secured platform: a gateway with MQTT_AUTH=required and the HTTP API.
 * The simulator provisions its sensors through the API (--provision) and each logs in with its own
 * token; readings are stored. A fleet with wrong tokens is refused and stores nothing.
 */
import { readFile } from "node:fs/promises";
import { registerApi } from "@sensorstream/api";
import { createHttpServer, createRegistry, Health, listen, silentLogger } from "@sensorstream/runtime";
import { prepareFleet, startFleet } from "@sensorstream/simulator";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPool } from "../fixtures/pg.js";
import { waitFor } from "../fixtures/wait.js";
import { countRows, type Spine, startSpine } from "./harness.js";

const API_TOKEN = "e2e-simulator-api-token-0123456789";

describe("simulator with per-sensor credentials (MQTT_AUTH=required)", () => {
  let spine: Spine;
  let pool: pg.Pool;
  let app: ReturnType<typeof createHttpServer>;
  let apiUrl: string;
  const prefix = `simc${Math.random().toString(36).slice(2, 7)}`;

  beforeAll(async () => {
    spine = await startSpine("sim_credentials", { auth: "required" });
    pool = testPool(spine.db.url, 2);
    app = createHttpServer({ registry: createRegistry(), health: new Health() });
    await registerApi(app, {
      pool,
      amqpUrl: spine.vhost.url,
      logger: silentLogger(),
      registry: createRegistry(),
      auth: { token: API_TOKEN, readAccess: "token" },
    });
    apiUrl = `http://127.0.0.1:${await listen(app, 0, "127.0.0.1")}`;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await pool?.end();
    await spine?.close();
  });

  it("provisions its sensors through the API and stores their readings", async () => {
    const options = await prepareFleet(
      { mqttUrl: spine.mqttUrl, sensors: 3, rateHz: 10, durationS: 1, idPrefix: prefix, types: ["temperature"] },
      { provision: { apiUrl, apiToken: API_TOKEN } },
      { readFile },
    );
    const { tokens: _first, ...untokened } = options;
    // Run twice: the second provisioning finds the sensors and rotates their tokens.
    let values = 0;
    for (const round of [1, 2]) {
      const opts =
        round === 1
          ? options
          : await prepareFleet(untokened, { provision: { apiUrl, apiToken: API_TOKEN } }, { readFile });
      const stats = await startFleet(opts).done;
      expect(stats.connect_errors, `round ${round}: ${stats.last_error}`).toBe(0);
      expect(stats.readings_acked).toBeGreaterThan(0);
      expect(stats.readings_acked).toBe(stats.readings_sent);
      values += stats.values_acked;
    }
    const ids = [1, 2, 3].map((n) => `${prefix}-${n}`);
    // Every acknowledged value is stored (one row per sensor, metric and time).
    await waitFor(async () => (await countRows(spine.db, "sensor_id = ANY($1)", [ids])) === values, {
      message: "the provisioned sensors' readings were not all stored",
    });
    const perSensor = await spine.db.query<{ sensor_id: string }>(
      "SELECT DISTINCT sensor_id FROM measurements WHERE sensor_id = ANY($1) ORDER BY 1",
      [ids],
    );
    expect(perSensor.map((r) => r.sensor_id)).toStrictEqual(ids);
  }, 60_000);

  it("is refused with wrong tokens, and nothing is stored", async () => {
    const ids = [`${prefix}-1`, `${prefix}-2`];
    const before = await countRows(spine.db, "sensor_id = ANY($1)", [ids]);
    const fleet = startFleet({
      mqttUrl: spine.mqttUrl,
      sensors: 2,
      rateHz: 10,
      durationS: 1,
      ids,
      tokens: new Map(ids.map((id) => [id, "not-the-token"])),
    });
    const stats = await fleet.done;
    expect(stats.connect_errors).toBeGreaterThan(0);
    expect(stats.readings_acked).toBe(0);
    expect(await countRows(spine.db, "sensor_id = ANY($1)", [ids])).toBe(before);
  }, 60_000);
});
