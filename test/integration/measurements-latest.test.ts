/**
 * measurements_latest is written by the measurement ingester's store in the readings' transaction: against a
 * real PostgreSQL, a newer batch moves a series forward, a replay or an older (late) batch never moves it back,
 * and concurrent batches over the same series neither deadlock nor lose the newest value.
 */
import type { MeasurementMessage } from "@sensorstream/contracts";
import { migrate } from "@sensorstream/db";
import { PgMeasurementStore } from "@sensorstream/measurement-ingester";
import { silentLogger } from "@sensorstream/runtime";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testPool } from "../fixtures/pg.js";

const at = (second: number) => new Date(Date.UTC(2026, 10, 23, 8, 0, second)).toISOString().replace("Z", "000Z");
const message = (sensor: string, readings: { s: number; values: Record<string, number> }[]): MeasurementMessage => ({
  msg_id: `${sensor}-${readings[0]?.s}`,
  sensor_id: sensor,
  received_at: at(0),
  readings: readings.map((r) => ({ time: at(r.s), values: r.values })),
});

describe("measurements_latest written with the readings", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let store: PgMeasurementStore;

  const latest = (sensor: string) =>
    db.query<{ metric: string; time: Date; value: number }>(
      "SELECT metric, time, value FROM measurements_latest WHERE sensor_id = $1 ORDER BY metric",
      [sensor],
    );

  beforeAll(async () => {
    db = await createTestDatabase("latest");
    pool = testPool(db.url, 6);
    await migrate(pool, { logger: silentLogger(), timescale: "off" });
    store = new PgMeasurementStore(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("keeps the newest value of each series from a batch, and moves forward with a newer batch", async () => {
    await store.write([
      message("s1", [
        { s: 1, values: { a: 1, b: 10 } },
        { s: 3, values: { a: 3 } },
        { s: 2, values: { a: 2, b: 20 } },
      ]),
    ]);
    expect(await latest("s1")).toStrictEqual([
      { metric: "a", time: new Date(at(3)), value: 3 },
      { metric: "b", time: new Date(at(2)), value: 20 },
    ]);
    await store.write([message("s1", [{ s: 5, values: { b: 50 } }])]);
    expect((await latest("s1")).map((r) => [r.metric, r.value])).toStrictEqual([
      ["a", 3],
      ["b", 50],
    ]);
  });

  it("never moves backwards on a replay or an older, late batch", async () => {
    await store.write([message("s2", [{ s: 10, values: { a: 100 } }])]);
    // a late batch (older time), then a replay of the same time with another value
    await store.write([message("s2", [{ s: 4, values: { a: 40 } }])]);
    await store.write([message("s2", [{ s: 10, values: { a: -1 } }])]);
    expect(await latest("s2")).toStrictEqual([{ metric: "a", time: new Date(at(10)), value: 100 }]);
    // the readings table took the late one, kept the first of the replay
    const rows = await db.query<{ value: number }>(
      "SELECT value FROM measurements WHERE sensor_id = 's2' ORDER BY time",
    );
    expect(rows.map((r) => r.value)).toStrictEqual([40, 100]);
  });

  it("takes concurrent, overlapping batches without deadlock and ends at the newest value", async () => {
    const sensors = Array.from({ length: 20 }, (_, i) => `c${i}`);
    const batch = (k: number) =>
      // every batch touches every sensor, in a different order each time
      (k % 2 === 0 ? sensors : [...sensors].reverse()).map((id) => message(id, [{ s: k, values: { x: k, y: -k } }]));
    await Promise.all(Array.from({ length: 12 }, (_, k) => store.write(batch(k + 1))));
    const rows = await db.query<{ n: number; lo: number; hi: number }>(
      `SELECT count(*)::int AS n, min(value) AS lo, max(value) AS hi
         FROM measurements_latest WHERE sensor_id LIKE 'c%' AND metric = 'x'`,
    );
    expect(rows[0]).toStrictEqual({ n: 20, lo: 12, hi: 12 });
  });
});
