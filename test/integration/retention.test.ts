/**
 * Retention on plain PostgreSQL: the scheduled, batched delete of startRetention() against a real
 * server, with the real schema (migrate with TIMESCALEDB=off).
 */
import { migrate, type Retention, retentionLockKey, startRetention } from "@sensorstream/db";
import { createRegistry, type Registry, silentLogger } from "@sensorstream/runtime";
import type pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testPool } from "../fixtures/pg.js";

const METRIC = "sensorstream_retention_deleted_rows_total";
const PLAIN = { timescale: false } as const;

describe("retention on plain PostgreSQL (scheduled delete)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let registry: Registry;
  const started: Retention[] = [];

  const start = async (days: number, o: { tables?: string[]; intervalMs?: number } = {}) => {
    const r = await startRetention({
      pool,
      flavor: PLAIN,
      tables: o.tables ?? ["measurements", "positions"],
      days,
      logger: silentLogger(),
      registry,
      batchRows: 10,
      ...(o.intervalMs === undefined ? {} : { intervalMs: o.intervalMs }),
    });
    started.push(r);
    return r;
  };

  const deletedMetric = async (table: string): Promise<number | undefined> => {
    const metric = await registry.getSingleMetric(METRIC)?.get();
    return metric?.values.find((v) => v.labels.table === table)?.value;
  };

  const count = async (table: string, where = "true"): Promise<number> => {
    const [r] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`);
    return r?.n ?? -1;
  };

  /** `old` readings 40 days back and `fresh` ones from the last day, per table. */
  const seed = async (old: number, fresh: number) => {
    await db.query(
      `INSERT INTO measurements (time, sensor_id, metric, value)
       SELECT now() - INTERVAL '40 days' - i * INTERVAL '1 second', 's-1', 'temp_c', i FROM generate_series(1, $1) i
       UNION ALL
       SELECT now() - INTERVAL '1 day' - i * INTERVAL '1 second', 's-1', 'temp_c', i FROM generate_series(1, $2) i`,
      [old, fresh],
    );
    await db.query(
      `INSERT INTO positions (time, sensor_id, lat, lon)
       SELECT now() - INTERVAL '40 days' - i * INTERVAL '1 second', 's-1', 1, 2 FROM generate_series(1, 3) i
       UNION ALL
       SELECT now() - INTERVAL '1 hour' - i * INTERVAL '1 second', 's-1', 1, 2 FROM generate_series(1, 2) i`,
    );
  };

  beforeAll(async () => {
    db = await createTestDatabase("retention");
    pool = testPool(db.url, 4);
    await migrate(pool, { logger: silentLogger(), timescale: "off" });
  });

  beforeEach(async () => {
    registry = createRegistry({ defaultMetrics: false });
    await db.query("TRUNCATE measurements, positions");
  });

  afterEach(async () => {
    for (const r of started.splice(0)) await r.stop();
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("deletes only rows older than the setting, in batches, and counts them per table", async () => {
    await seed(25, 5);
    const r = await start(30);
    // The sweep started at startup: sweep() joins it.
    expect(await r.sweep()).toStrictEqual({ measurements: 25, positions: 3 });
    expect(await count("measurements")).toBe(5);
    expect(await count("measurements", "time < now() - INTERVAL '30 days'")).toBe(0);
    expect(await count("positions")).toBe(2);
    expect(await deletedMetric("measurements")).toBe(25);
    expect(await deletedMetric("positions")).toBe(3);

    expect(await r.sweep()).toStrictEqual({ measurements: 0, positions: 0 });
    expect(await deletedMetric("measurements")).toBe(25);
  });

  it("keeps a row just inside the window and deletes one just outside it", async () => {
    await db.query(
      `INSERT INTO measurements (time, sensor_id, metric, value) VALUES
         (now() - INTERVAL '7 days' + INTERVAL '1 minute', 'edge', 'm', 1),
         (now() - INTERVAL '7 days' - INTERVAL '1 minute', 'edge', 'm', 2)`,
    );
    const r = await start(7, { tables: ["measurements"] });
    expect(await r.sweep()).toStrictEqual({ measurements: 1 });
    expect(await db.query("SELECT value FROM measurements")).toStrictEqual([{ value: 1 }]);
  });

  it("deletes nothing when the setting is 0", async () => {
    await seed(25, 5);
    const r = await start(0);
    expect(await r.sweep()).toStrictEqual({});
    expect(await count("measurements")).toBe(30);
    expect(await count("positions")).toBe(5);
    expect(await deletedMetric("measurements")).toBeUndefined();
  });

  it("skips a table while another session holds its lock, and deletes once it is free", async () => {
    await seed(12, 1);
    const holder = await pool.connect();
    try {
      await holder.query("SELECT pg_advisory_lock($1, $2)", retentionLockKey("measurements"));
      const r = await start(30);
      expect(await r.sweep()).toStrictEqual({ measurements: "locked", positions: 3 });
      expect(await count("measurements")).toBe(13);
      await holder.query("SELECT pg_advisory_unlock($1, $2)", retentionLockKey("measurements"));
      expect(await r.sweep()).toStrictEqual({ measurements: 12, positions: 0 });
      expect(await count("measurements")).toBe(1);
    } finally {
      holder.release();
    }
  });

  it("lets only one of two replicas delete at a time", async () => {
    await seed(40, 2);
    const [a, b] = [await start(30), await start(30)];
    const [ra, rb] = await Promise.all([a.sweep(), b.sweep()]);
    const deleted = [ra.measurements, rb.measurements].filter((n) => typeof n === "number");
    // Whichever ran (once or one after the other), every expired row went exactly once.
    expect(deleted.reduce((s: number, n) => s + (n as number), 0)).toBe(40);
    expect(await deletedMetric("measurements")).toBe(40);
    expect(await count("measurements")).toBe(2);
  });

  it("runs every interval, and no more after stop()", async () => {
    const r = await start(30, { intervalMs: 50 });
    await r.sweep();
    await seed(4, 1);
    await expect.poll(() => count("measurements"), { timeout: 5_000 }).toBe(1);
    await r.stop();
    await seed(4, 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await count("measurements")).toBe(5);
  });
});
