#!/usr/bin/env node
/**
 * `npm run bench`: drives a simulated fleet at a fixed offered rate through the whole pipeline
 * (MQTT -> gateway -> RabbitMQ -> ingester -> PostgreSQL) and prints one JSON object with offered and
 * achieved rates, end-to-end latency percentiles, loss and duplicates for each scenario.
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { startFleet } from "@sensorstream/simulator";
import pg from "pg";
import { createTestVhost } from "../fixtures/amqp.js";
import { createTestDatabase } from "../fixtures/pg.js";
import { parsePrometheus } from "../fixtures/prometheus.js";
import { runAlarmBench } from "./alarms.js";
import { runChurn } from "./churn.js";
import { runBusBench } from "./embedded-bus.js";
import { spawnPlatform } from "./platform-process.js";
import { bucketsOf, histogramQuantile } from "./quantiles.js";
import { runQueryBench } from "./query.js";

const HELP = `npm run bench -- [options]

Starts the platform on a fresh database and vhost (or targets a running one) and measures it.

  --duration S        seconds of offered load per scenario (default 20)
  --warmup S          first seconds left out of the latency figures (default 5): connections and JIT
  --sensors N         simulated sensors (default 50)
  --scenario B:R      readings per message B at R readings/s; repeatable
                      (default 1:5000 and 10:25000)
  --target            measure a running platform instead: needs --mqtt-url, --database-url, --metrics-url
  --mqtt-url URL      --database-url URL      --metrics-url URL
  --only WHAT         pipeline (the readings scenarios), churn (fleet churn), bus (the embedded bus beside
                      RabbitMQ, through the Bus port), query (reads over 12.6 M generated rows, see query.ts)
                      or alarms (100 rules at the batched load, against none);
                      default all five
  --bus-messages N    messages per phase of the bus scenario (default 20000)
  --query-runs N      timed requests per query case (default 20, after 3 warm-ups)
  --query-regenerate  generate the query scenario's database again instead of reusing it
  --churn-sensors N   sensors that connect, send birth + one reading, and leave (default 5000)
  --churn-runs N      churn runs per build (default 1); the figures of each run are printed
  --churn-concurrency N  MQTT handshakes in flight at once (default 500)
  --churn-timeout S   give up waiting for all online / all offline after S seconds (default 60)
  --churn-burst N     then N connect events straight onto the bus at once: the registry's own rate (default 5000, 0: off)
  --churn-baseline F  also run churn against another build's all-in-one entry point, run by run
                      (e.g. a checkout of main: <dir>/services/all-in-one/dist/main.js)
  --help
Progress goes to stderr; the result is one JSON object on stdout.`;

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "20" },
    warmup: { type: "string", default: "5" },
    sensors: { type: "string", default: "50" },
    scenario: { type: "string", multiple: true },
    target: { type: "boolean", default: false },
    "mqtt-url": { type: "string" },
    "database-url": { type: "string" },
    "metrics-url": { type: "string" },
    only: { type: "string" },
    "churn-sensors": { type: "string", default: "5000" },
    "churn-runs": { type: "string", default: "1" },
    "churn-concurrency": { type: "string", default: "500" },
    "churn-timeout": { type: "string", default: "60" },
    "churn-burst": { type: "string", default: "5000" },
    "churn-baseline": { type: "string" },
    "bus-messages": { type: "string", default: "20000" },
    "query-runs": { type: "string", default: "20" },
    "query-regenerate": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const durationS = Number(args.duration);
const sensors = Number(args.sensors);
const warmupS = Number(args.warmup);
const scenarios = (args.scenario ?? ["1:5000", "10:25000"]).map((s) => {
  const [b, r] = s.split(":").map(Number);
  if (!b || !r || b < 1 || r <= 0) throw new Error(`--scenario wants BATCH:RATE, e.g. 10:25000; got ${s}`);
  return { batch: b, rate: r };
});
if (!(durationS > 0) || !(sensors > 0)) throw new Error("--duration and --sensors must be positive numbers");
const only = args.only;
if (only !== undefined && !["pipeline", "churn", "bus", "query", "alarms"].includes(only)) {
  throw new Error("--only wants pipeline, churn, bus, query or alarms");
}
const churnSensors = Number(args["churn-sensors"]);
const churnRuns = Number(args["churn-runs"]);
const churnConcurrency = Number(args["churn-concurrency"]);
if (!(churnSensors > 0) || !(churnRuns >= 1)) throw new Error("--churn-sensors and --churn-runs must be positive");
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Target = { mqttUrl: string; databaseUrl: string; metricsUrl: string; stop(): Promise<void> };

async function freshPlatform(name: string): Promise<Target> {
  const db = await createTestDatabase(`bench_${name}`);
  const vhost = await createTestVhost(`bench_${name}`);
  const p = await spawnPlatform({ DATABASE_URL: db.url, AMQP_URL: vhost.url });
  return {
    mqttUrl: p.mqttUrl,
    databaseUrl: db.url,
    metricsUrl: p.metricsUrl,
    async stop() {
      await p.stop();
      await vhost.drop();
      await db.drop();
    },
  };
}

async function scrape(url: string) {
  const res = await fetch(url);
  return parsePrometheus(await res.text());
}

async function runScenario(target: Target, batch: number, rate: number, runId: string) {
  const prefix = `bench${runId}`;
  const db = new pg.Client({ connectionString: target.databaseUrl });
  await db.connect();
  const rows = async () =>
    Number(
      (
        await db.query<{ n: string }>("SELECT count(*)::text AS n FROM measurements WHERE sensor_id LIKE $1", [
          `${prefix}-%`,
        ])
      ).rows[0]?.n ?? 0,
    );
  const fleet = startFleet({
    mqttUrl: target.mqttUrl,
    sensors,
    idPrefix: prefix,
    rateHz: rate / sensors,
    batch,
    durationS,
    // One value per reading: a reading is one (sensor, metric, time) row, as the platform identifies it.
    types: ["accelerometer"],
    onProgress: (s: { readings_acked: number; readings_per_s: number; connected: number }) =>
      log(`${s.readings_acked} readings acked (${Math.round(s.readings_per_s)}/s), ${s.connected} connected`),
  });
  await sleep(Math.min(warmupS, durationS / 2) * 1000);
  const before = await scrape(target.metricsUrl);
  const sent = await fleet.done;
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
  await db.end();
  const after = await scrape(target.metricsUrl);
  const name = "sensorstream_ingester_e2e_latency_seconds";
  const b0 = new Map(bucketsOf(before, name).map((b) => [b.le, b.count]));
  const delta = bucketsOf(after, name).map((b) => ({ le: b.le, count: b.count - (b0.get(b.le) ?? 0) }));
  const q = (p: number) => Math.round(histogramQuantile(p, delta) * 1000) / 1000;
  const metricsPerReading = sent.readings_acked ? sent.values_acked / sent.readings_acked : 0;
  const storedReadings = metricsPerReading ? stored / metricsPerReading : 0;
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
    readings_sent: sent.readings_sent,
    readings_acked: sent.readings_acked,
    rows_expected: sent.values_acked,
    rows_stored: stored,
    readings_lost: metricsPerReading ? Math.max(0, Math.round((sent.values_acked - stored) / metricsPerReading)) : 0,
    duplicates: stored - distinct,
    publish_errors: sent.publish_errors,
  };
}

const results: unknown[] = [];
const runId = Date.now().toString(36).slice(-5);
for (const [i, s] of (only === "churn" || only === "bus" || only === "query" || only === "alarms"
  ? []
  : scenarios
).entries()) {
  log(
    `scenario ${i + 1}/${scenarios.length}: ${s.batch} reading(s)/message at ${s.rate} readings/s for ${durationS} s`,
  );
  const target: Target = args.target
    ? {
        mqttUrl: args["mqtt-url"] ?? "mqtt://127.0.0.1:1883",
        databaseUrl: args["database-url"] ?? "postgresql://postgres@127.0.0.1:5432/sensorstream",
        metricsUrl: args["metrics-url"] ?? "http://127.0.0.1:8080/metrics",
        stop: async () => {},
      }
    : await freshPlatform(`${runId}_${i}`);
  try {
    results.push(await runScenario(target, s.batch, s.rate, `${runId}${i}`));
  } catch (err) {
    log(`scenario ${i + 1} failed: ${(err as Error).message}`);
    results.push({ readings_per_message: s.batch, offered_readings_per_s: s.rate, error: (err as Error).message });
    process.exitCode = 1;
  } finally {
    await target.stop();
  }
}

const churn: unknown[] = [];
if ((only === undefined || only === "churn") && !args.target) {
  const builds = [{ label: "this build", main: undefined as string | undefined }];
  if (args["churn-baseline"])
    builds.push({ label: `baseline ${args["churn-baseline"]}`, main: args["churn-baseline"] });
  // Alternating builds run by run, so a change in the machine's load hits both alike.
  for (let run = 1; run <= churnRuns; run++) {
    for (const b of builds) {
      try {
        churn.push({
          run,
          ...(await runChurn({
            sensors: churnSensors,
            concurrency: churnConcurrency,
            settleTimeoutS: Number(args["churn-timeout"]),
            burst: Math.min(churnSensors, Number(args["churn-burst"])),
            label: b.label,
            main: b.main,
            log,
          })),
        });
      } catch (err) {
        log(`churn (${b.label}) failed: ${(err as Error).message}`);
        churn.push({ run, build: b.label, error: (err as Error).message });
        process.exitCode = 1;
      }
    }
  }
}
const bus =
  (only === undefined || only === "bus") && !args.target
    ? await runBusBench({ messages: Number(args["bus-messages"]), inFlight: 200, bytes: 200, log })
    : [];
let query: unknown;
if ((only === undefined || only === "query") && !args.target) {
  try {
    query = await runQueryBench({ runs: Number(args["query-runs"]), regenerate: args["query-regenerate"], log });
  } catch (err) {
    log(`query failed: ${(err as Error).message}`);
    query = { error: (err as Error).message };
    process.exitCode = 1;
  }
}
// The alarm service at the batched load (the last scenario's batch and rate), 100 rules against none.
const alarms: unknown[] = [];
if ((only === undefined || only === "alarms") && !args.target) {
  const s = scenarios.at(-1) ?? { batch: 10, rate: 25_000 };
  try {
    alarms.push(...(await runAlarmBench({ sensors, batch: s.batch, rate: s.rate, durationS, warmupS, log })));
  } catch (err) {
    log(`alarms failed: ${(err as Error).message}`);
    alarms.push({ error: (err as Error).message });
    process.exitCode = 1;
  }
}
process.stdout.write(
  `${JSON.stringify({ machine: { cores: cpus().length, node: process.version }, scenarios: results, churn, bus, query, alarms }, null, 2)}\n`,
);
