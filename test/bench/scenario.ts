/**
 * One load step: a simulated fleet at a fixed offered rate against a target (the platform or the naive bridge) for a
 * while, then a wait until every acknowledged reading is stored. Shared by the fixed scenarios and saturation mode.
 */
import { readFile } from "node:fs/promises";
import { startFleet } from "@sensorstream/simulator";
import pg from "pg";
import { parsePrometheus } from "../fixtures/prometheus.js";
import { bucketsOf, histogramQuantile } from "./quantiles.js";

export type Target = {
  mqttUrl: string;
  databaseUrl: string;
  /** Exposes sensorstream_ingester_e2e_latency_seconds and sensorstream_ingester_rows_total. */
  metricsUrl: string;
  /** The process that receives the MQTT traffic and writes the rows (for its peak RSS), if the bench started it. */
  pid?: number | undefined;
  stop(): Promise<void>;
};

export type ScenarioOptions = {
  batch: number;
  rate: number;
  runId: string;
  sensors: number;
  durationS: number;
  warmupS: number;
  log: (line: string) => void;
  /** Progress lines of the fleet (default on). */
  progress?: boolean;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const E2E = "sensorstream_ingester_e2e_latency_seconds";

/** The ingester's metrics only (other lines, e.g. a gauge at NaN, are none of the bench's business). */
async function scrape(url: string) {
  const res = await fetch(url);
  const text = await res.text();
  return parsePrometheus(
    text
      .split("\n")
      .filter((l) => l.startsWith("sensorstream_ingester_"))
      .join("\n"),
  );
}

/** Rows the target has written so far (inserted or found stored), from its metrics: cheap enough to poll. */
const rowsWritten = (samples: Awaited<ReturnType<typeof scrape>>): number =>
  samples.filter((s) => s.name === "sensorstream_ingester_rows_total").reduce((n, s) => n + s.value, 0);

/** Peak resident set of a process (VmHWM), in MiB; undefined where /proc is not there. */
export async function peakRssMiB(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
}

export async function runScenario(target: Target, o: ScenarioOptions) {
  const db = new pg.Client({ connectionString: target.databaseUrl });
  // The target's database may be dropped under a client left open by a failed step.
  db.on("error", () => {});
  await db.connect();
  try {
    return await measure(target, o, db);
  } finally {
    await db.end().catch(() => {});
  }
}

async function measure(target: Target, o: ScenarioOptions, db: pg.Client) {
  const { batch, rate, sensors, durationS, warmupS, log } = o;
  const prefix = `bench${o.runId}`;
  const rows = async () =>
    Number(
      (
        await db.query<{ n: string }>("SELECT count(*)::text AS n FROM measurements WHERE sensor_id LIKE $1", [
          `${prefix}-%`,
        ])
      ).rows[0]?.n ?? 0,
    );
  const written0 = rowsWritten(await scrape(target.metricsUrl));
  const started = Date.now();
  const fleet = startFleet({
    mqttUrl: target.mqttUrl,
    sensors,
    idPrefix: prefix,
    rateHz: rate / sensors,
    batch,
    durationS,
    // One value per reading: a reading is one (sensor, metric, time) row, as the platform identifies it.
    types: ["accelerometer"],
    ...(o.progress === false
      ? {}
      : {
          onProgress: (s: { readings_acked: number; readings_per_s: number; connected: number }) =>
            log(`${s.readings_acked} readings acked (${Math.round(s.readings_per_s)}/s), ${s.connected} connected`),
        }),
  });
  // The backlog: readings offered so far (at the nominal rate) and not yet written, sampled every second. Readings
  // waiting in the fleet (its sensors hold samples while their PUBACKs are late), in the broker or in RabbitMQ count alike.
  const backlog: Array<{ t: number; readings: number }> = [];
  const sampler = setInterval(() => {
    scrape(target.metricsUrl).then(
      (m) => {
        const t = (Date.now() - started) / 1000;
        if (t <= durationS) backlog.push({ t, readings: Math.round(rate * t - (rowsWritten(m) - written0)) });
      },
      () => {},
    );
  }, 1000);
  await sleep(Math.min(warmupS, durationS / 2) * 1000);
  const before = await scrape(target.metricsUrl);
  const sent = await fleet.done;
  clearInterval(sampler);
  const drainStart = Date.now();
  let stored = await rows();
  let lastChange = Date.now();
  while (stored < sent.values_acked && Date.now() - lastChange < 15_000) {
    await sleep(250);
    const n = await rows();
    if (n !== stored) lastChange = Date.now();
    stored = n;
  }
  const drainS = (Date.now() - drainStart) / 1000;
  const distinct = Number(
    (
      await db.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM (SELECT DISTINCT sensor_id, metric, time FROM measurements WHERE sensor_id LIKE $1) d",
        [`${prefix}-%`],
      )
    ).rows[0]?.n ?? 0,
  );
  const after = await scrape(target.metricsUrl);
  const b0 = new Map(bucketsOf(before, E2E).map((b) => [b.le, b.count]));
  const delta = bucketsOf(after, E2E).map((b) => ({ le: b.le, count: b.count - (b0.get(b.le) ?? 0) }));
  const total = (samples: typeof after, name: string) =>
    samples.filter((s) => s.name === name).reduce((n, s) => n + s.value, 0);
  const diff = (name: string) => total(after, name) - total(before, name);
  const batches = diff("sensorstream_ingester_batch_write_seconds_count");
  const q = (p: number) => Math.round(histogramQuantile(p, delta) * 1000) / 1000;
  const metricsPerReading = sent.readings_acked ? sent.values_acked / sent.readings_acked : 0;
  const storedReadings = metricsPerReading ? stored / metricsPerReading : 0;
  // Growth of the backlog over the second half of the load, as a share of what was offered meanwhile: the slope of a
  // least-squares line through the samples (endpoints alone swing by a batch or a burst of PUBACKs).
  const half = backlog.filter((b) => b.t >= durationS / 2);
  const first = half[0];
  const last = half.at(-1);
  const mt = half.reduce((a, b) => a + b.t, 0) / half.length;
  const mr = half.reduce((a, b) => a + b.readings, 0) / half.length;
  const sxx = half.reduce((a, b) => a + (b.t - mt) ** 2, 0);
  const sxy = half.reduce((a, b) => a + (b.t - mt) * (b.readings - mr), 0);
  const growth = half.length >= 3 && sxx > 0 ? sxy / sxx / rate : Number.NaN;
  return {
    readings_per_message: batch,
    sensors,
    duration_s: durationS,
    offered_readings_per_s: rate,
    sent_readings_per_s: Math.round(sent.readings_sent / sent.elapsed_s),
    acked_readings_per_s: Math.round(sent.readings_acked / sent.elapsed_s),
    achieved_readings_per_s: Math.round(storedReadings / (sent.elapsed_s + drainS)),
    mqtt_messages_per_s: Math.round(sent.messages_acked / sent.elapsed_s),
    metrics_per_reading: metricsPerReading,
    rows_per_s: Math.round(stored / (sent.elapsed_s + drainS)),
    drain_after_load_s: Math.round(drainS * 10) / 10,
    e2e_latency_s: {
      p50: q(0.5),
      p95: q(0.95),
      p99: q(0.99),
      source: `ingester histogram after ${warmupS} s of warm-up, interpolated within buckets`,
    },
    backlog: {
      at_half_load_readings: first?.readings ?? null,
      at_end_of_load_readings: last?.readings ?? null,
      growth_share_of_offered: Number.isFinite(growth) ? Math.round(growth * 1000) / 1000 : null,
    },
    // The ingester's batches after the warm-up (the naive bridge has none).
    batches: batches
      ? {
          count: batches,
          mean_rows: Math.round(diff("sensorstream_ingester_batch_rows_sum") / batches),
          mean_write_s: Math.round((diff("sensorstream_ingester_batch_write_seconds_sum") / batches) * 1000) / 1000,
          // Share of the time after warm-up that batch writes were running (above 1: concurrent writes).
          write_time_share:
            Math.round(
              (diff("sensorstream_ingester_batch_write_seconds_sum") / (sent.elapsed_s - warmupS + drainS)) * 100,
            ) / 100,
        }
      : null,
    readings_sent: sent.readings_sent,
    readings_acked: sent.readings_acked,
    rows_expected: sent.values_acked,
    rows_stored: stored,
    readings_lost: metricsPerReading ? Math.max(0, Math.round((sent.values_acked - stored) / metricsPerReading)) : 0,
    duplicates: stored - distinct,
    publish_errors: sent.publish_errors,
  };
}
