import { registerApi } from "@sensorstream/api";
import { DEAD_LETTER_HEADERS } from "@sensorstream/bus";
import { createHttpServer, createRegistry, Health, silentLogger } from "@sensorstream/runtime";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPool } from "../fixtures/pg.js";
import { metricValue } from "../fixtures/prometheus.js";
import { waitFor } from "../fixtures/wait.js";
import { metricsText, publishDirect, type Spine, startSpine } from "./harness.js";

const TOKEN = "test-api-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };
type Counts = { m: number; ml: number; p: number; l: number; s: number };

/**
 * Deleting a sensor with its data, end to end: the API deletes the registry row and publishes
 * sensor_<id>.deleted; each data owner (measurement ingester: measurements, positions; log ingester:
 * sensor_logs) purges its own tables from its own queue. Nothing of any other sensor goes.
 */
describe("deleting a sensor's data through the services that own it", () => {
  let spine: Spine;
  let pool: pg.Pool;
  let api: ReturnType<typeof createHttpServer>;

  const counts = async (id: string): Promise<Counts> => {
    const [r] = await spine.db.query<Counts>(
      `SELECT (SELECT count(*)::int FROM measurements WHERE sensor_id = $1) AS m,
              (SELECT count(*)::int FROM measurements_latest WHERE sensor_id = $1) AS ml,
              (SELECT count(*)::int FROM positions WHERE sensor_id = $1) AS p,
              (SELECT count(*)::int FROM sensor_logs WHERE sensor_id = $1) AS l,
              (SELECT count(*)::int FROM sensors WHERE id = $1) AS s`,
      [id],
    );
    if (!r) throw new Error("no counts");
    return r;
  };
  const call = (method: "POST" | "DELETE", url: string, body?: Record<string, unknown>) =>
    api.inject({ method, url, headers: auth, ...(body ? { payload: body } : {}) });
  const purged = async () =>
    metricValue(await metricsText(spine.ingesters[0]?.registry ?? createRegistry()), "sensorstream_purged_rows_total") +
    metricValue(await metricsText(spine.logIngester?.registry ?? createRegistry()), "sensorstream_purged_rows_total");

  /** 20 readings of 3 metrics with a position each, and 5 log lines. */
  const feed = async (id: string) => {
    const client = await spine.connect(`feed-${id}`);
    const base = Date.parse("2026-11-20T09:00:00Z");
    for (let i = 0; i < 20; i++) {
      const reading = { ts: base + i * 1000, values: { a: i, b: i * 2, c: 1 }, lat: -33.4, lon: -70.6 };
      await client.publishAsync(`sensors/${id}/data`, JSON.stringify(reading), { qos: 1 });
    }
    for (let i = 0; i < 5; i++) {
      const line = { ts: base + i * 1000, level: "info", msg: `line ${i}` };
      await client.publishAsync(`sensors/${id}/logs`, JSON.stringify(line), { qos: 1 });
    }
    const full: Counts = { m: 60, ml: 3, p: 20, l: 5, s: 1 };
    await waitFor(async () => JSON.stringify(await counts(id)) === JSON.stringify(full), {
      message: `${id}'s data never landed`,
    });
  };

  beforeAll(async () => {
    spine = await startSpine("purge", { logIngester: true });
    pool = testPool(spine.db.url, 2);
    api = createHttpServer({ registry: createRegistry(), health: new Health() });
    await registerApi(api, {
      pool,
      amqpUrl: spine.vhost.url,
      logger: silentLogger(),
      registry: createRegistry(),
      auth: { token: TOKEN, readAccess: "token" },
    });
    await api.ready();
    for (const id of ["gone-1", "stay-1"]) expect((await call("POST", "/api/sensors", { id })).statusCode).toBe(201);
    await feed("gone-1");
    await feed("stay-1");
  });

  afterAll(async () => {
    await api?.close();
    await pool?.end();
    await spine?.close();
  });

  it("answers 202 and the owners delete every row of that sensor, and nothing else", async () => {
    const r = await call("DELETE", "/api/sensors/gone-1?with_data=true");
    expect(r.statusCode).toBe(202);
    expect(r.json()).toMatchObject({ data: "purging" });
    await waitFor(
      async () => JSON.stringify(await counts("gone-1")) === JSON.stringify({ m: 0, ml: 0, p: 0, l: 0, s: 0 }),
      {
        message: "gone-1's data was not purged",
      },
    );
    expect(await counts("stay-1")).toStrictEqual({ m: 60, ml: 3, p: 20, l: 5, s: 1 });
    expect(await waitFor(async () => ((await purged()) === 88 ? 88 : false), { message: "purge metric" })).toBe(88);
    expect(await spine.vhost.queueDepth("measurements.purge")).toBe(0);
    expect(await spine.vhost.queueDepth("logs.purge")).toBe(0);
  });

  it("is idempotent: the same deletion again deletes nothing more, and deleting without data keeps the data", async () => {
    const event = { msg_id: "again-1", sensor_id: "gone-1", purge_data: true, deleted_at: new Date().toISOString() };
    await publishDirect(spine.vhost.url, [{ key: "sensor_gone-1.deleted", body: event }]);
    const r = await call("DELETE", "/api/sensors/stay-1");
    expect(r.statusCode).toBe(200);
    await waitFor(
      async () =>
        (await spine.vhost.queueDepth("measurements.purge")) === 0 &&
        (await spine.vhost.queueDepth("logs.purge")) === 0,
      { message: "purge queues never drained" },
    );
    expect(await counts("stay-1")).toStrictEqual({ m: 60, ml: 3, p: 20, l: 5, s: 0 });
    expect(await purged()).toBe(88);
  });

  it("dead-letters an invalid deletion event with its reason, once per owner, deleting nothing", async () => {
    await publishDirect(spine.vhost.url, [{ key: "sensor_stay-1.deleted", body: { sensor_id: "stay-1" } }]);
    const dead = await waitFor(
      async () => ((await spine.vhost.queueDepth("dead_letters")) >= 2 ? spine.vhost.readQueue("dead_letters") : false),
      { message: "no dead letters" },
    );
    expect(dead.map((d) => d.headers[DEAD_LETTER_HEADERS.source]).sort()).toStrictEqual([
      "logs-purge",
      "measurements-purge",
    ]);
    expect(dead.every((d) => d.headers[DEAD_LETTER_HEADERS.reason] === "invalid_payload")).toBe(true);
    expect(await counts("stay-1")).toStrictEqual({ m: 60, ml: 3, p: 20, l: 5, s: 0 });
  });
});
