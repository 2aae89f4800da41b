/**
 * The `query` scenario of `npm run bench`: the read side over a generated table of about 12.6 million readings on
 * plain PostgreSQL, through the API as its own process (so its memory is its own). The table is generated once into
 * its own database (`ss_bench_query`) and reused by later runs (`--query-regenerate` builds it again).
 *
 * Data: 1,000 sensors `b0000`…`b0999` with one metric `v` every 259.2 s over the last 30 days (10,000 rows each,
 * 10 M rows), plus `heavy` at 1 Hz over the same 30 days (2.59 M rows). Cases (client-side latency, `--query-runs`
 * each after 3 warm-ups): latest for 1,000 sensors; heavy's day at 1 m; heavy's month at 1 h; 100 sensors' day at
 * 5 m; then a CSV export of 1,000,000 rows of heavy (rows/s, and the API's RSS sampled every 50 ms).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { migrate } from "@sensorstream/db";
import { silentLogger } from "@sensorstream/runtime";
import pg from "pg";
import { createTestVhost } from "../fixtures/amqp.js";
import { testEnv } from "../fixtures/env.js";

const API_MAIN = fileURLToPath(new URL("../../../services/api/dist/main.js", import.meta.url));
const DB_NAME = "ss_bench_query";
const SENSORS = 1000;
const ROWS_PER_SENSOR = 10_000;
const DAYS = 30;
const TOKEN = "bench-query-token-0123456789";
const EXPORT_ROWS = 1_000_000;

type Log = (line: string) => void;

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/** Creates and fills the bench database unless it holds the expected rows already. Returns its URL and data end. */
async function ensureData(regenerate: boolean, log: Log): Promise<{ url: string; end: Date }> {
  const server = testEnv().databaseUrl;
  const admin = new pg.Client({ connectionString: withDatabase(server, "postgres") });
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [DB_NAME]);
    if (exists.rowCount && regenerate) await admin.query(`DROP DATABASE ${DB_NAME} WITH (FORCE)`);
    if (!exists.rowCount || regenerate) await admin.query(`CREATE DATABASE ${DB_NAME}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(server, DB_NAME);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    await migrate(pool, { logger: silentLogger(), timescale: "off" });
    await pool.query("CREATE TABLE IF NOT EXISTS bench_meta (rows bigint NOT NULL, data_end timestamptz NOT NULL)");
    const meta = await pool.query<{ rows: string; data_end: Date }>("SELECT rows, data_end FROM bench_meta");
    const wanted = SENSORS * ROWS_PER_SENSOR + DAYS * 86_400;
    if (meta.rows[0] && Number(meta.rows[0].rows) === wanted) {
      log(`query: reusing ${wanted} generated rows in ${DB_NAME}`);
      return { url, end: meta.rows[0].data_end };
    }
    // Whole hours, so the month and day ranges line up with buckets.
    const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const start = new Date(end.getTime() - DAYS * 86_400_000);
    const t0 = Date.now();
    log(`query: generating ${wanted} rows into ${DB_NAME} (once; reused by later runs)`);
    await pool.query("TRUNCATE measurements, measurements_latest, bench_meta");
    const step = (DAYS * 86_400) / ROWS_PER_SENSOR;
    // In primary key order: the b-tree grows at its right edge.
    for (let s = 0; s < SENSORS; s += 100) {
      await pool.query(
        `INSERT INTO measurements (time, sensor_id, metric, value)
         SELECT $1::timestamptz + (i * $2::float8 + s % 7) * interval '1 second', 'b' || lpad(s::text, 4, '0'), 'v',
                sin(i / 50.0 + s) * 10 + s % 13
           FROM generate_series($3::int, $4::int) s, generate_series(0, $5::int - 1) i
          ORDER BY 2, 1`,
        [start, step, s, Math.min(s + 99, SENSORS - 1), ROWS_PER_SENSOR],
      );
    }
    log(`query: ${SENSORS * ROWS_PER_SENSOR} fleet rows in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    await pool.query(
      `INSERT INTO measurements (time, sensor_id, metric, value)
       SELECT $1::timestamptz + i * interval '1 second', 'heavy', 'v', sin(i / 600.0) * 50 + (i % 17)
         FROM generate_series(0, $2::int - 1) i`,
      [start, DAYS * 86_400],
    );
    await pool.query(
      `INSERT INTO measurements_latest (sensor_id, metric, time, value)
       SELECT DISTINCT ON (sensor_id) sensor_id, metric, time, value FROM measurements
        WHERE time > $1::timestamptz - interval '1 hour' ORDER BY sensor_id, time DESC`,
      [end],
    );
    await pool.query("VACUUM ANALYZE measurements");
    await pool.query("VACUUM ANALYZE measurements_latest");
    await pool.query("INSERT INTO bench_meta (rows, data_end) VALUES ($1, $2)", [wanted, end]);
    log(`query: generated in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return { url, end };
  } finally {
    await pool.end();
  }
}

type Api = { base: string; child: ChildProcess; stop(): Promise<void> };

async function spawnApi(databaseUrl: string, amqpUrl: string): Promise<Api> {
  const child = spawn(process.execPath, [API_MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      AMQP_URL: amqpUrl,
      API_TOKEN: TOKEN,
      HTTP_PORT: "0",
      HTTP_HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      TIMESCALEDB: "off",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API did not start in 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"http_port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.once("exit", (code) => reject(new Error(`the API exited with ${code}:\n${out}`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Resident memory of a process, in MiB (now, and the peak the kernel recorded). */
function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;

async function timed(url: string, runs: number): Promise<{ p50_ms: number; p95_ms: number; items: number }> {
  const ms: number[] = [];
  let items = 0;
  for (let i = 0; i < runs + 3; i++) {
    const t = performance.now();
    const r = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await r.json()) as { items?: unknown[] };
    const elapsed = performance.now() - t;
    if (r.status !== 200) throw new Error(`${url}: ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
    items = body.items?.length ?? 0;
    if (i >= 3) ms.push(elapsed);
  }
  ms.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return { p50_ms: round(quantile(ms, 0.5)), p95_ms: round(quantile(ms, 0.95)), items };
}

async function exportCsv(api: Api, url: string) {
  const pid = api.child.pid ?? 0;
  const before = memory(pid);
  let peak = before.rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, memory(pid).rss);
  }, 50);
  const t = performance.now();
  const r = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  let lines = 0;
  let bytes = 0;
  for await (const chunk of r.body as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (const b of chunk) if (b === 10) lines++;
  }
  const seconds = (performance.now() - t) / 1000;
  clearInterval(sampler);
  const rows = lines - 1;
  return {
    rows,
    mb: Math.round(bytes / 1e5) / 10,
    seconds: Math.round(seconds * 100) / 100,
    rows_per_s: Math.round(rows / seconds),
    api_rss_mib: { before: Math.round(before.rss), peak_during: Math.round(peak), after: Math.round(memory(pid).rss) },
  };
}

export async function runQueryBench(o: { runs: number; regenerate: boolean; log: Log }) {
  const { url, end } = await ensureData(o.regenerate, o.log);
  const vhost = await createTestVhost("bench_query");
  const api = await spawnApi(url, vhost.url);
  try {
    const iso = (d: Date) => d.toISOString();
    const day = new Date(end.getTime() - 86_400_000);
    const month = new Date(end.getTime() - DAYS * 86_400_000);
    const hundred = Array.from({ length: 100 }, (_, i) => `b${String(i * 10).padStart(4, "0")}`).join(",");
    const cases = {
      latest_1000_sensors: `${api.base}/api/measurements/latest?active_within=1d&limit=1000&after=b`,
      one_sensor_day_1m: `${api.base}/api/sensors/heavy/measurements?from=${iso(day)}&to=${iso(end)}&bucket=1m&agg=avg,min,max`,
      one_sensor_month_1h: `${api.base}/api/sensors/heavy/measurements?from=${iso(month)}&to=${iso(end)}&bucket=1h&agg=avg`,
      hundred_sensors_day_5m: `${api.base}/api/measurements?sensor_ids=${hundred}&metric=v&from=${iso(day)}&to=${iso(end)}&bucket=5m&agg=avg&limit=100`,
    };
    const latency: Record<string, unknown> = {};
    for (const [name, caseUrl] of Object.entries(cases)) {
      o.log(`query: ${name}`);
      latency[name] = await timed(caseUrl, o.runs);
    }
    o.log("query: CSV export of 1,000,000 rows");
    const exportFrom = new Date(month.getTime());
    const exportTo = new Date(month.getTime() + EXPORT_ROWS * 1000);
    const csv = await exportCsv(
      api,
      `${api.base}/api/sensors/heavy/measurements?from=${iso(exportFrom)}&to=${iso(exportTo)}&format=csv`,
    );
    return {
      database: DB_NAME,
      rows: SENSORS * ROWS_PER_SENSOR + DAYS * 86_400,
      flavor: "plain PostgreSQL",
      runs_per_case: o.runs,
      latency,
      export_csv: { ...csv, api_peak_rss_mib_process: Math.round(memory(api.child.pid ?? 0).hwm) },
    };
  } finally {
    await api.stop();
    await vhost.drop();
  }
}
