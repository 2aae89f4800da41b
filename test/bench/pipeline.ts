#!/usr/bin/env node
/**
 * `npm run bench`: drives a simulated fleet at a fixed offered rate through the whole pipeline
 * (MQTT -> gateway -> RabbitMQ -> ingester -> PostgreSQL) and prints one JSON object with offered and
 * achieved rates, end-to-end latency percentiles, loss and duplicates for each scenario.
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { runAlarmBench } from "./alarms.js";
import { runChurn } from "./churn.js";
import { runConnect } from "./connect.js";
import { runBusBench } from "./embedded-bus.js";
import { runQueryBench } from "./query.js";
import { runSaturation } from "./saturation.js";
import { runScenario, type Target } from "./scenario.js";
import { speedProbe } from "./speed-probe.js";
import { freshPlatform } from "./targets.js";

const HELP = `npm run bench -- [options]

Starts the platform on a fresh database and vhost (or targets a running one) and measures it. Before and after, a
speed probe (the CPU time of the gateway's decide() on one message, machine.speed_probe) tells how fast the machine's
cores were: it is shared and drifts, so compare only figures taken at a similar probe.

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
                      default all five; or saturation, or connect (below; each only when asked for)
  saturation mode (--only saturation, ~10 min): per message shape, the offered rate rises step by step until the
  backlog grows or p99 >= 500 ms; then p99 at 80% of the rate found and the rate held for --sat-sustain s; the naive
  bridge (aedes + one INSERT per message) goes through the same search in the same run, step for step in turns
  --sat-shapes LIST   B:PLATFORM_START:NAIVE_START,... (default 10:30000:10000,1:6000:4000)
  --sat-step S        seconds per step (default 10)      --sat-sustain S   seconds at the rate found (default 60)
  --sat-factor F      rate multiplier per step (default 1.4)   --sat-refine N   bisection steps (default 2)
  --sat-no-naive      leave the naive bridge out
  connect mode (--only connect): --connect-sensors N (default 10000) at --connect-hz (default 0.2) connect to one
  gateway process with MQTT_CONNECT_RATE=--connect-rate (default 1000/s per IP): time until all are connected
  (waiting up to 60 s, then 10 s more of load), memory per connection, readings stored
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
  --cpu-prof DIR      the platform process writes a V8 CPU profile (.cpuprofile) into DIR when it stops
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
    "cpu-prof": { type: "string" },
    "sat-shapes": { type: "string", default: "10:30000:10000,1:6000:4000" },
    "sat-step": { type: "string", default: "10" },
    "sat-sustain": { type: "string", default: "60" },
    "sat-factor": { type: "string", default: "1.4" },
    "sat-refine": { type: "string", default: "2" },
    "sat-no-naive": { type: "boolean", default: false },
    "connect-sensors": { type: "string", default: "10000" },
    "connect-hz": { type: "string", default: "0.2" },
    "connect-rate": { type: "string", default: "1000" },
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
const ONLY = ["pipeline", "churn", "bus", "query", "alarms", "saturation", "connect"];
if (only !== undefined && !ONLY.includes(only)) throw new Error(`--only wants one of ${ONLY.join(", ")}`);
const churnSensors = Number(args["churn-sensors"]);
const churnRuns = Number(args["churn-runs"]);
const churnConcurrency = Number(args["churn-concurrency"]);
if (!(churnSensors > 0) || !(churnRuns >= 1)) throw new Error("--churn-sensors and --churn-runs must be positive");
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
// Ctrl-C: exit through process.exit, so the child processes (platform, naive bridge) are killed on the way out.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
const prof = args["cpu-prof"];
const nodeArgs = prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : [];

// The machine's speed before and after (speed-probe.ts): figures are comparable only at a similar probe.
const speedBefore = speedProbe();
log(`speed probe: decide() ${speedBefore.decide_us_per_message.median} µs per 10-reading message (CPU, median)`);

const results: unknown[] = [];
const runId = Date.now().toString(36).slice(-5);
for (const [i, s] of (only === undefined || only === "pipeline" ? scenarios : []).entries()) {
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
    : await freshPlatform(`${runId}_${i}`, { nodeArgs });
  try {
    results.push(
      await runScenario(target, {
        batch: s.batch,
        rate: s.rate,
        runId: `${runId}${i}`,
        sensors,
        durationS,
        warmupS,
        log,
      }),
    );
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
let saturation: unknown;
if (only === "saturation") {
  saturation = await runSaturation({
    shapes: (args["sat-shapes"] ?? "").split(",").map((x) => {
      const [batch, platformStart, naiveStart] = x.split(":").map(Number);
      if (!batch || !platformStart || !naiveStart) throw new Error(`--sat-shapes wants B:START:NAIVE_START, got ${x}`);
      return { batch, platformStart, naiveStart };
    }),
    stepS: Number(args["sat-step"]),
    warmupS: Math.min(warmupS, 3),
    sustainS: Number(args["sat-sustain"]),
    factor: Number(args["sat-factor"]),
    refine: Number(args["sat-refine"]),
    sensors,
    p99LimitS: 0.5,
    growthLimit: 0.05,
    naive: !args["sat-no-naive"],
    log,
  });
}
let connect: unknown;
if (only === "connect") {
  connect = await runConnect({
    sensors: Number(args["connect-sensors"]),
    rateHz: Number(args["connect-hz"]),
    connectRate: Number(args["connect-rate"]),
    timeoutS: 60,
    holdS: 10,
    nodeArgs,
    log,
  });
}
process.stdout.write(
  `${JSON.stringify(
    {
      machine: {
        cores: cpus().length,
        node: process.version,
        speed_probe: { before: speedBefore, after: speedProbe() },
      },
      scenarios: results,
      churn,
      bus,
      query,
      alarms,
      ...(saturation ? { saturation } : {}),
      ...(connect ? { connect } : {}),
    },
    null,
    2,
  )}\n`,
);
