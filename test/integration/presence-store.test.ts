import { migrate } from "@sensorstream/db";
import { PresenceStore } from "@sensorstream/registry";
import { silentLogger } from "@sensorstream/runtime";
import { SensorAdmin } from "@sensorstream/sensors";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testPool } from "../fixtures/pg.js";

/** The registry's batch store on a real PostgreSQL: one transaction per batch, set-based writes. */
describe("PresenceStore", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  const policy = { silentFloorS: 30, silentIntervals: 5 };
  const S = 1_000_000;
  const t0 = Date.parse("2026-11-29T10:00:00Z") * 1000;

  beforeAll(async () => {
    db = await createTestDatabase("presence_store");
    pool = testPool(db.url, 2);
    await migrate(pool, { logger: silentLogger(), timescale: "off" });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const row = async (id: string) => (await db.query("SELECT * FROM sensors WHERE id = $1", [id]))[0];

  it("REGISTRATION=auto registers sensors from their status or their connect; other kinds of unknown sensors are not registered", async () => {
    const store = new PresenceStore(pool, policy, "auto");
    const r = await store.applyBatch([
      { sensorId: "auto-1", source: 0, event: { type: "connection", us: t0, connected: true } },
      { sensorId: "auto-1", source: 1, event: { type: "status", us: t0 + S, state: "online", sampleHz: 2 } },
      { sensorId: "auto-2", source: 2, event: { type: "activity", us: t0 } },
      // A connect whose birth status comes in a later batch: registered now, with its connection.
      { sensorId: "auto-3", source: 3, event: { type: "connection", us: t0, connected: true, connectedUs: t0 } },
      { sensorId: "auto-4", source: 4, event: { type: "connection", us: t0, connected: false, connectedUs: t0 } },
    ]);
    expect(r.outcomes).toEqual(["applied", "applied", "unknown_sensor", "applied", "unknown_sensor"]);
    expect(await row("auto-1")).toMatchObject({ registered_by: "auto", presence: "online", reported_sample_hz: 2 });
    expect(await row("auto-2")).toBeUndefined();
    expect(await row("auto-3")).toMatchObject({ registered_by: "auto", presence: "online" });
    expect((await row("auto-3"))?.connected_at).toEqual(new Date(t0 / 1000));
    expect(await row("auto-4")).toBeUndefined();
    await store.applyBatch([
      { sensorId: "auto-3", source: 0, event: { type: "status", us: t0 + S, state: "online", sampleHz: 4 } },
    ]);
    expect(await row("auto-3")).toMatchObject({ presence: "online", reported_sample_hz: 4 });
  });

  it("writes every sensor of a batch, its history in order, its newest position, and keeps microseconds", async () => {
    const admin = new SensorAdmin(pool);
    for (const id of ["set-1", "set-2"]) await admin.create({ id, metadata: { owner: "ops" } });
    const store = new PresenceStore(pool, policy, "manual");
    const r = await store.applyBatch([
      { sensorId: "set-1", source: 0, event: { type: "connection", us: t0 + 1, connected: true, connectedUs: t0 + 1 } },
      {
        sensorId: "set-2",
        source: 1,
        event: { type: "status", us: t0 + 2, state: "online" },
        description: { model: "M", extras: { owner: "device", battery_pct: 50 } },
      },
      {
        sensorId: "set-1",
        source: 2,
        event: { type: "connection", us: t0 + 3, connected: false, connectedUs: t0 + 1 },
      },
      {
        sensorId: "set-2",
        source: 3,
        event: { type: "activity", us: t0 + 4 },
        position: { lat: 1, lon: 2, us: t0 + 4 },
      },
      { sensorId: "ghost", source: 4, event: { type: "status", us: t0, state: "online" } },
    ]);
    expect(r.outcomes).toEqual(["applied", "applied", "applied", "applied", "unknown_sensor"]);
    expect(await row("set-1")).toMatchObject({ presence: "offline", connection: "disconnected" });
    const history = await db.query<{ sensor_id: string; state: string; t: string }>(
      `SELECT sensor_id, state, to_char(time AT TIME ZONE 'UTC', 'SS.US') AS t
         FROM sensor_presence_history WHERE sensor_id LIKE 'set-%' ORDER BY sensor_id, time`,
    );
    expect(history).toEqual([
      { sensor_id: "set-1", state: "online", t: "00.000001" },
      { sensor_id: "set-1", state: "offline", t: "00.000003" },
      { sensor_id: "set-2", state: "online", t: "00.000002" },
    ]);
    expect(await row("set-2")).toMatchObject({
      model: "M",
      last_lat: 1,
      last_lon: 2,
      metadata: { owner: "ops" },
      reported_metadata: { owner: "device", battery_pct: 50 },
    });
    expect((await admin.get("set-2"))?.metadata).toEqual({ owner: "ops", battery_pct: 50 });
    const connectedAt = await db.query<{ us: string }>(
      "SELECT to_char(connected_at AT TIME ZONE 'UTC', 'SS.US') AS us FROM sensors WHERE id = 'set-1'",
    );
    expect(connectedAt[0]?.us).toBe("00.000001");
  });

  it("finds silent candidates whatever sample rate was stored (no negative or overflowing interval)", async () => {
    const admin = new SensorAdmin(pool);
    await admin.create({ id: "tiny-hz" });
    await pool.query(
      "UPDATE sensors SET presence = 'online', reported_sample_hz = 1e-300, last_seen = to_timestamp($1) WHERE id = 'tiny-hz'",
      [t0 / 1e6],
    );
    const store = new PresenceStore(pool, policy, "manual");
    expect(await store.silentCandidates(t0 + 60 * S)).not.toContain("tiny-hz");
    expect(await store.silentCandidates(t0 + 31 * 86_400 * S)).toContain("tiny-hz");
  });
});
