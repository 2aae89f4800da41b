#!/usr/bin/env node
import {
  configOrExit,
  createLogger,
  createRegistry,
  installShutdown,
  PortInUseError,
  VERSION,
} from "@sensorstream/runtime";
import { startFleet } from "@sensorstream/simulator";
import { loadAllInOneConfig, urlsSetByUser } from "./config.js";
import { resolveBackends } from "./embedded/backends.js";
import { createdNote, startPlatform } from "./platform.js";
import { waitForServers } from "./startup.js";
import { liveSummary } from "./summary.js";

const say = (line: string) => process.stdout.write(`${line}\n`);

const given = configOrExit(() => loadAllInOneConfig(), "sensorstream");

// No DATABASE_URL and nothing on 5432: the embedded PostgreSQL; no AMQP_URL and nothing on 5672: the embedded bus.
let backends: Awaited<ReturnType<typeof resolveBackends>>;
try {
  backends = await resolveBackends(given, urlsSetByUser());
} catch (err) {
  process.stderr.write(`sensorstream: could not start the embedded PostgreSQL: ${(err as Error).message}\n`);
  process.exit(1);
}
const config = { ...given, DATABASE_URL: backends.DATABASE_URL, AMQP_URL: backends.AMQP_URL };
const stopEmbedded = async () => {
  await backends.embedded?.stop();
};

// The root carries the version; every service logs through its own child ({ service }), this file as all-in-one.
const root = createLogger({ version: VERSION, level: config.LOG_LEVEL });
const logger = root.child({ service: "all-in-one" });
const registry = createRegistry();

const database = await waitForServers(config);

let platform: Awaited<ReturnType<typeof startPlatform>>;
try {
  platform = await startPlatform(config, {
    logger: root,
    registry,
    // A service thread that dies leaves the platform without it: stop, like a crash of a one-thread process would.
    onThreadFailure: () => process.kill(process.pid, "SIGTERM"),
  });
} catch (err) {
  await stopEmbedded().catch(() => {});
  if (err instanceof PortInUseError) {
    process.stderr.write(`sensorstream: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

say(`sensorstream ${VERSION} is running`);
if (database === "created") say(`  note: ${createdNote(config.DATABASE_URL)}`);
for (const note of platform.notes) say(`  note: ${note}`);
say(`  MQTT       mqtt://localhost:${platform.mqttPort}   (publish to sensors/<id>/data)`);
if (platform.wsPort !== undefined) say(`  MQTT/WS    ws://localhost:${platform.wsPort}/mqtt`);
say(`  HTTP API   http://localhost:${platform.httpPort}/api   (docs: /docs, OpenAPI: /openapi.json; /metrics /readyz)`);
say(
  config.API_TOKEN
    ? "  API token  from API_TOKEN"
    : `  API token  ${platform.apiToken}   (made up for this run; set API_TOKEN to keep one)`,
);
for (const line of backends.lines) say(line);

const fleet = config.DEMO
  ? startFleet({
      mqttUrl: `mqtt://127.0.0.1:${platform.mqttPort}`,
      sensors: config.DEMO_SENSORS,
      idPrefix: "demo",
      rateHz: config.DEMO_RATE_HZ,
      batch: 1,
      durationS: 0,
      types: ["vibration", "gps", "temperature"],
    })
  : undefined;
say(
  fleet
    ? `  demo fleet ${config.DEMO_SENSORS} simulated sensors at ${config.DEMO_RATE_HZ} Hz (DEMO=false turns it off)`
    : "  demo fleet off",
);
say("Ctrl-C stops it.");

const summary = liveSummary(() => platform.metrics());
const timer =
  config.SUMMARY_INTERVAL_S > 0
    ? setInterval(() => {
        summary().then(say, () => {});
      }, config.SUMMARY_INTERVAL_S * 1000)
    : undefined;

installShutdown({
  logger,
  drainTimeoutMs: config.DRAIN_TIMEOUT_MS,
  stop: async () => {
    if (timer) clearInterval(timer);
    say("stopping: draining in-flight messages...");
    await fleet?.stop();
    await platform.stop();
    if (backends.embedded) say("stopping the embedded PostgreSQL...");
    await stopEmbedded();
    say("stopped.");
  },
});
