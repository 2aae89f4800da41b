/**
 * The measurement store's two ways of writing, against a real PostgreSQL: a batch goes straight into the tables
 * (one statement, plain INSERTs); one that hits a stored row (a replay) or holds a row twice is written again with
 * ON CONFLICT DO NOTHING, so it still lands whole, once, with the duplicates counted; a value PostgreSQL refuses is
 * still a permanent error (the batcher bisects it to one dead letter), and the connection stays usable.
 */
import type { MeasurementMessage } from "@sensorstream/contracts";
import { migrate } from "@sensorstream/db";
import { PgMeasurementStore } from "@sensorstream/measurement-ingester";
import { silentLogger } from "@sensorstream/runtime";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testPool } from "../fixtures/pg.js";

const at = (second: number) => `2026-11-23T08:00:${String(second).padStart(2, "0")}.000000Z`;
const message = (sensor: string, seconds: number[], extra: Partial<MeasurementMessage["readings"][0]> = {}) => ({
  msg_id: `${sensor}-${seconds[0]}`,
  sensor_id: sensor,
  received_at: at(0),
  readings: seconds.map((s) => ({ time: at(s), values: { x: s }, ...extra })),
});

describe("PgMeasurementStore: plain INSERT, ON CONFLICT DO NOTHING when a row exists", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let store: PgMeasurementStore;
  let rewritten = 0;
  const count = async (table: string, sensor: string) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE sensor_id = $1`, [sensor]))[0]?.n;

  beforeAll(async () => {
    db = await createTestDatabase("mstore");
    pool = testPool(db.url, 2);
    await migrate(pool, { logger: silentLogger(), timescale: "off" });
    store = new PgMeasurementStore(pool, { onRewritten: () => rewritten++ });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("writes a new batch straight in, positions too", async () => {
    const r = await store.write([message("d1", [1, 2, 3], { lat: 1, lon: 2 }), message("d2", [1])]);
    expect(r).toStrictEqual({ measurements: 4, positions: 3, inserted: 7, duplicates: 0 });
    expect(rewritten).toBe(0);
    expect(await count("measurements", "d1")).toBe(3);
    expect(await count("positions", "d1")).toBe(3);
  });

  it("rewrites a batch that replays stored rows with ON CONFLICT: new rows land, old ones are counted", async () => {
    const r = await store.write([message("d1", [3, 4]), message("d3", [1])]);
    expect(rewritten).toBe(1);
    expect(r).toStrictEqual({ measurements: 3, positions: 0, inserted: 2, duplicates: 1 });
    expect(await count("measurements", "d1")).toBe(4);
    expect(await count("measurements", "d3")).toBe(1);
    const latest = await db.query<{ value: number }>(
      "SELECT value FROM measurements_latest WHERE sensor_id = 'd1' AND metric = 'x'",
    );
    expect(latest).toStrictEqual([{ value: 4 }]);
  });

  it("takes a batch holding the same message twice (a resend) once", async () => {
    const twice = message("d4", [7, 8]);
    const r = await store.write([twice, twice]);
    expect(r).toStrictEqual({ measurements: 4, positions: 0, inserted: 2, duplicates: 2 });
    expect(await count("measurements", "d4")).toBe(2);
  });

  it("counts exactly the rows a batch repeats from storage and from itself, readings and positions alike", async () => {
    await store.write([message("d7", [1, 2], { lat: 1, lon: 2 })]);
    const r = await store.write([
      message("d7", [1, 2, 3], { lat: 1, lon: 2 }), // 2 readings and 2 positions stored already
      message("d7", [3], { lat: 1, lon: 2 }), // a resend of a new one, in the same batch
      message("d8", [1]),
    ]);
    expect(rewritten).toBe(3);
    expect(r).toStrictEqual({ measurements: 5, positions: 4, inserted: 3, duplicates: 6 });
    expect(await count("measurements", "d7")).toBe(3);
    expect(await count("positions", "d7")).toBe(3);
    expect(await count("measurements", "d8")).toBe(1);
  });

  it("writes a batch of positions only (readings without values)", async () => {
    const r = await store.write([message("d9", [1, 2], { lat: 3, lon: 4, values: {} })]);
    expect(r).toStrictEqual({ measurements: 0, positions: 2, inserted: 2, duplicates: 0 });
    expect(await count("positions", "d9")).toBe(2);
    expect(await count("measurements_latest", "d9")).toBe(0);
  });

  it("still reports a value PostgreSQL refuses as permanent, and keeps working", async () => {
    // A NUL byte in text: PostgreSQL refuses it (invalid byte sequence, SQLSTATE class 22).
    const nul = { ...message("d5", [1]), sensor_id: "nul\u0000byte" };
    const err = await store.write([nul]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeDefined();
    expect(store.isPermanent(err)).toBe(true);
    expect(rewritten).toBe(3);
    expect((await store.write([message("d6", [1])])).inserted).toBe(1);
  });
});
