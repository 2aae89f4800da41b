/**
 * `npm run bench -- --only alarms`: the alarm service at the batched bench load with 100 rules in scope of every
 * sensor, against the same load with no rule (a baseline in the same run). Each run is `npm start`'s composition
 * (the alarm service beside the ingesters, on its own queue alarms.input) on a fresh database and vhost.
 */
import { AlarmAdmin, ruleInputSchema } from "@sensorstream/alarms";
import { sensorIds, startFleet } from "@sensorstream/simulator";
import pg from "pg";
import { createTestVhost } from "../fixtures/amqp.js";
import { createTestDatabase } from "../fixtures/pg.js";
import { parsePrometheus } from "../fixtures/prometheus.js";
import { spawnPlatform } from "./platform-process.js";
import { bucketsOf, histogramQuantile } from "./quantiles.js";

export type AlarmBenchOptions = {
  sensors: number;
  batch: number;
  rate: number;
  durationS: number;
  warmupS: number;
  log: (line: string) => void;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const total = (samples: ReturnType<typeof parsePrometheus>, name: string) =>
  samples.filter((s) => s.name === name).reduce((n, s) => n + s.value, 0);

/**
 * 100 rules that all apply to every bench sensor's metric (accel_g, about ±0.85 g): 40 scoped to all sensors, 30 by
 * type, 30 by sensor_ids; 96 of them never fire, 4 fire now and then on the signal's peaks (with hysteresis and
 * for_s), so raising, clearing and the outbox are part of the load without an alert storm.
 */
function benchRules(ids: readonly string[]): unknown[] {
  const scopes = (i: number) =>
    i < 40 ? { all: true } : i < 70 ? { type: "accelerometer" } : { sensor_ids: ids.filter((_, n) => n % 2 === i % 2) };
  return Array.from({ length: 100 }, (_, i) => {
    const base = { name: `bench-${i}`, metric: "accel_g", severity: (["info", "warning", "critical"] as const)[i % 3] };
    if (i < 4)
      return { ...base, op: ">", threshold: 0.84, clear_threshold: 0, for_s: 0.001 * i, scope: scopes(i * 30) };
    return i % 2
      ? { ...base, op: ">", threshold: 10 + i, clear_threshold: 5 + i, for_s: i % 7, scope: scopes(i) }
      : { ...base, op: "outside", low: -10 - i, high: 10 + i, scope: scopes(i) };
  });
}

async function runOnce(o: AlarmBenchOptions, rules: number, tag: string) {
  const db = await createTestDatabase(`bench_alarms_${tag}`);
  const vhost = await createTestVhost(`bench_alarms_${tag}`);
  const platform = await spawnPlatform({ DATABASE_URL: db.url, AMQP_URL: vhost.url });
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    const ids = sensorIds(`ba${tag}`, o.sensors);
    const admin = new AlarmAdmin(pool);
    for (const r of benchRules(ids).slice(0, rules)) await admin.createRule(ruleInputSchema.parse(r));
    // Node's event-loop gauges read "Nan" until they have a sample; the parser refuses that, and they are not needed.
    const scrape = async () =>
      parsePrometheus(
        (await (await fetch(platform.metricsUrl)).text())
          .split("\n")
          .filter((l) => !/ Nan$/i.test(l))
          .join("\n"),
      );
    // Every replica reloads the rules within ALARM_RULES_POLL_MS (2 s).
    while (rules > 0 && total(await scrape(), "sensorstream_alarms_rules") < rules) await sleep(200);
    const fleet = startFleet({
      mqttUrl: platform.mqttUrl,
      sensors: o.sensors,
      ids,
      rateHz: o.rate / o.sensors,
      batch: o.batch,
      durationS: o.durationS,
      types: ["accelerometer"],
    });
    await sleep(Math.min(o.warmupS, o.durationS / 2) * 1000);
    const before = await scrape();
    const t0 = Date.now();
    const sent = await fleet.done;
    const loadS = (Date.now() - t0) / 1000;
    // Drained once the alarm service has received every acked reading (or nothing moved for 15 s).
    const drainStart = Date.now();
    let seen = total(await scrape(), "sensorstream_alarms_readings_total");
    let lastChange = Date.now();
    while (seen < sent.readings_acked && Date.now() - lastChange < 15_000) {
      await sleep(250);
      const n = total(await scrape(), "sensorstream_alarms_readings_total");
      if (n !== seen) lastChange = Date.now();
      seen = n;
    }
    const drainS = (Date.now() - drainStart) / 1000;
    const after = await scrape();
    const delta = (name: string) => total(after, name) - total(before, name);
    const lagName = "sensorstream_alarms_evaluation_lag_seconds";
    const b0 = new Map(bucketsOf(before, lagName).map((b) => [b.le, b.count]));
    const lag = bucketsOf(after, lagName).map((b) => ({ le: b.le, count: b.count - (b0.get(b.le) ?? 0) }));
    const q = (p: number) => Math.round(histogramQuantile(p, lag) * 1000) / 1000;
    const readings = delta("sensorstream_alarms_readings_total");
    return {
      rules,
      sensors: o.sensors,
      readings_per_message: o.batch,
      offered_readings_per_s: o.rate,
      acked_readings_per_s: Math.round(sent.readings_acked / sent.elapsed_s),
      alarm_readings_per_s: Math.round(readings / (loadS + drainS)),
      evaluations_per_s: Math.round(delta("sensorstream_alarms_evaluations_total") / (loadS + drainS)),
      drain_after_load_s: Math.round(drainS * 10) / 10,
      evaluation_lag_s: { p50: q(0.5), p95: q(0.95), p99: q(0.99), source: `alarm lag histogram after ${o.warmupS} s` },
      alarm_readings_missing: Math.max(0, sent.readings_acked - total(after, "sensorstream_alarms_readings_total")),
      alarms_raised: total(after, "sensorstream_alarms_raised_total"),
      alarms_cleared: total(after, "sensorstream_alarms_cleared_total"),
      alerts_published: total(after, "sensorstream_alarms_alerts_published_total"),
      ingester_e2e_p95_s:
        Math.round(
          histogramQuantile(
            0.95,
            bucketsOf(after, "sensorstream_ingester_e2e_latency_seconds").map((b) => ({
              le: b.le,
              count:
                b.count -
                (bucketsOf(before, "sensorstream_ingester_e2e_latency_seconds").find((x) => x.le === b.le)?.count ?? 0),
            })),
          ) * 1000,
        ) / 1000,
    };
  } finally {
    await pool.end();
    await platform.stop();
    await vhost.drop();
    await db.drop();
  }
}

/** The baseline (no rule) and 100 rules, one after the other on the same machine. */
export async function runAlarmBench(o: AlarmBenchOptions): Promise<unknown[]> {
  const out: unknown[] = [];
  const tag = Date.now().toString(36).slice(-5);
  for (const rules of [0, 100]) {
    o.log(`alarms: ${rules} rules, ${o.batch} reading(s)/message at ${o.rate} readings/s for ${o.durationS} s`);
    out.push(await runOnce(o, rules, `${tag}_${rules}`));
  }
  return out;
}
