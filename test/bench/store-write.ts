/**
 * The measurement store's batch write alone, against the PostgreSQL of DATABASE_URL (a fresh database per run):
 * `node test/dist/bench/store-write.js [--busy] [--batches N] [--writers N]`. Writes N batches of 5,000 rows (50 sensors
 * × 20 readings × 5 metrics) with `--writers` batches in flight, as the ingester does, and prints one JSON line: rows/s,
 * mean and p95 batch time, and the server's CPU and WAL per batch. `--busy` keeps the event loop busy (20 ms of
 * synchronous work every 25 ms), as the MQTT gateway does in the all-in-one process: each round trip of a write
 * then waits for the loop. Run it on two builds to compare them; the run is short (well under 60 s).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { MeasurementMessage } from "@sensorstream/contracts";
import { migrate } from "@sensorstream/db";
import { PgMeasurementStore } from "@sensorstream/measurement-ingester";
import { silentLogger } from "@sensorstream/runtime";
import { createTestDatabase, type TestDatabase, testPool } from "../fixtures/pg.js";

const SENSORS = 50;
const READINGS = 20;
const METRICS = ["a", "b", "c", "d", "e"];
const T0 = Date.UTC(2026, 10, 23, 8) * 1000;

const iso = (us: number) =>
  `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 23)}${String(us % 1000).padStart(3, "0")}Z`;

const batch = (b: number): MeasurementMessage[] =>
  Array.from({ length: SENSORS }, (_, s) => ({
    msg_id: `${b}-${s}`,
    sensor_id: `sensor-${s}`,
    received_at: iso(T0),
    readings: Array.from({ length: READINGS }, (_, i) => ({
      time: iso(T0 + (b * READINGS + i) * 1000 + s),
      values: Object.fromEntries(METRICS.map((m, k) => [m, b * 1.5 + i + k / 7])),
    })),
  }));

/** CPU milliseconds the database's backends have used (they run on this machine: /proc). */
async function serverCpuMs(db: TestDatabase): Promise<number> {
  const pids = await db.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1", [db.name]);
  let ticks = 0;
  for (const { pid } of pids) {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10;
}

async function main(): Promise<void> {
  const { values: o } = parseArgs({
    options: { busy: { type: "boolean" }, batches: { type: "string" }, writers: { type: "string" } },
  });
  const batches = Number(o.batches ?? 200);
  const writers = Number(o.writers ?? 3);
  const db = await createTestDatabase("bench_store");
  const pool = testPool(db.url, writers + 1);
  try {
    await migrate(pool, { logger: silentLogger(), timescale: "off" });
    const data = Array.from({ length: batches }, (_, b) => batch(b));
    const store = new PgMeasurementStore(pool);
    await Promise.all(Array.from({ length: writers }, (_, i) => store.write(batch(batches + i)))); // connect, prepare
    const cpu0 = await serverCpuMs(db);
    const [{ lsn } = { lsn: "0/0" }] = await db.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
    const busy = o.busy ? setInterval(() => spin(20), 25) : undefined;
    const times: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let b = next++; b < batches; b = next++) {
          const s = performance.now();
          await store.write(data[b] as MeasurementMessage[]);
          times.push(performance.now() - s);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(busy);
    const cpu = (await serverCpuMs(db)) - cpu0;
    const [{ kb } = { kb: 0 }] = await db.query<{ kb: number }>(
      "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::float8 / 1024 AS kb",
      [lsn],
    );
    times.sort((a, b) => a - b);
    const rows = batches * SENSORS * READINGS * METRICS.length;
    console.log(
      JSON.stringify({
        busy: o.busy === true,
        writers,
        batches,
        rows_per_s: Math.round(rows / seconds),
        mean_ms: +(times.reduce((a, b) => a + b, 0) / times.length).toFixed(1),
        p95_ms: +(times[Math.floor(times.length * 0.95)] ?? 0).toFixed(1),
        server_cpu_ms_per_batch: +(cpu / batches).toFixed(1),
        wal_kb_per_batch: Math.round(kb / batches),
      }),
    );
  } finally {
    await pool.end();
    await db.drop();
  }
}

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {}
}

await main();
