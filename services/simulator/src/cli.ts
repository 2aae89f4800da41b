import { parseArgs } from "node:util";
import { type FleetOptions, isMqttUrl, LIMITS, MQTT_URL_PROTOCOLS, validateFleetOptions } from "./options.js";
import type { FleetSetup } from "./setup.js";
import { isSensorType, SENSOR_TYPES, type SensorType } from "./signals.js";

export type SimulatorCommand =
  | { kind: "run"; fleet: FleetOptions; json: boolean; quiet: boolean; setup?: FleetSetup }
  | { kind: "help"; text: string }
  | { kind: "usage_error"; message: string };

export const USAGE_EXIT_CODE = 2;

export const HELP_TEXT = `Usage: sensorstream-simulate [options]

Runs a fleet of virtual sensors, each with its own MQTT connection, publishing readings
(QoS 1) to sensors/<id>/data and a retained status to sensors/<id>/status. Each sensor obeys
the commands on sensors/<id>/commands/<name> (sleep, awake, change_sample_frequency) and acks
them on sensors/<id>/acks.

Options:
  -n, --sensors <n>        number of sensors (default 10)
  -r, --rate <hz>          readings per second per sensor (default 1)
  -b, --batch <n>          readings per MQTT message (default 1)
  -d, --duration <s>       seconds to run, 0 = until Ctrl-C (default 0)
  -u, --url <url>          broker URL, mqtt:// or ws:// (default $MQTT_URL or mqtt://localhost:1883)
  -p, --prefix <prefix>    sensor ids are <prefix>-<n> (default "sim")
  -t, --types <list>       comma list of ${SENSOR_TYPES.join(", ")}, assigned round-robin (default vibration)
      --username <name>    one MQTT username for all sensors (default $MQTT_USERNAME, else each sensor's id)
      --password <secret>  MQTT password (default $MQTT_PASSWORD)
      --credentials <file> per-sensor credentials: CSV lines id,token, or JSON [{"id","token"}] or
                           {"<id>":"<token>"}; runs those sensors (the first --sensors of them, if given)
      --provision <url>    register the fleet's sensors through the HTTP API at <url> (e.g. http://api:8080)
                           and log in with the tokens it issues (existing sensors get new tokens)
      --api-token <token>  the API's bearer token for --provision (default $API_TOKEN)
      --ca <file>          CA certificate(s), PEM, for an mqtts:// or wss:// broker
      --fail-commands <share>    share of the sensors, 0..1, that ack every command with status
                           error and do not act on it (default 0)
      --ignore-commands <share>  share of the sensors, 0..1, that never ack nor act (default 0)
      --concurrency <n>    connection handshakes in flight at once (default 50)
      --json               print the final stats as one JSON object on stdout
  -q, --quiet              no progress lines on stderr
  -h, --help               show this help

Exit status: 0 when every reading sent was acknowledged, 1 otherwise, 2 on usage errors.
`;

type Env = Readonly<Record<string, string | undefined>>;

const NUMBER_KINDS = {
  positive_int: { ok: (n: number) => Number.isInteger(n) && n > 0, what: "a positive integer" },
  positive: { ok: (n: number) => Number.isFinite(n) && n > 0, what: "a positive number" },
  seconds: { ok: (n: number) => Number.isFinite(n) && n >= 0, what: "0 or a positive number of seconds" },
  share: { ok: (n: number) => n >= 0 && n <= 1, what: "a share from 0 to 1" },
} as const;
type NumberKind = keyof typeof NUMBER_KINDS;

/** Parses the command line. Never throws: usage problems come back all at once, one per line. */
export function parseSimulatorArgs(argv: readonly string[], env: Env = process.env): SimulatorCommand {
  let values: ReturnType<typeof parse>["values"];
  try {
    ({ values } = parse(argv));
  } catch (err) {
    return { kind: "usage_error", message: (err as Error).message };
  }
  if (values.help) return { kind: "help", text: HELP_TEXT };

  const problems: string[] = [];
  const number = (flag: string, raw: string, kind: NumberKind, max = Number.POSITIVE_INFINITY): number => {
    const n = raw.trim() === "" ? Number.NaN : Number(raw);
    if (!NUMBER_KINDS[kind].ok(n)) problems.push(`--${flag} must be ${NUMBER_KINDS[kind].what}, got '${raw}'`);
    else if (n > max) problems.push(`--${flag} must be at most ${max}, got '${raw}'`);
    return n;
  };

  const sensors = number("sensors", values.sensors ?? "10", "positive_int", LIMITS.maxSensors);
  const rateHz = number("rate", values.rate, "positive", LIMITS.maxRateHz);
  const batch = number("batch", values.batch, "positive_int", LIMITS.maxBatch);
  const durationS = number("duration", values.duration, "seconds");
  const mqttUrl = values.url ?? env.MQTT_URL ?? "mqtt://localhost:1883";
  if (!isMqttUrl(mqttUrl)) {
    problems.push(`--url must be a ${MQTT_URL_PROTOCOLS.map((p) => `${p}//`).join(", ")} URL, got '${mqttUrl}'`);
  }
  const types = parseTypes(values.types, problems);
  const fleet: FleetOptions = { mqttUrl, sensors, rateHz, batch, durationS, idPrefix: values.prefix, types };
  if (values.concurrency !== undefined) {
    fleet.connectConcurrency = number("concurrency", values.concurrency, "positive_int");
  }
  if (values["fail-commands"] !== undefined) {
    fleet.failCommands = number("fail-commands", values["fail-commands"], "share");
  }
  if (values["ignore-commands"] !== undefined) {
    fleet.ignoreCommands = number("ignore-commands", values["ignore-commands"], "share");
  }
  const username = values.username ?? env.MQTT_USERNAME;
  const password = values.password ?? env.MQTT_PASSWORD;
  if (username !== undefined && username !== "") fleet.username = username;
  if (password !== undefined && password !== "") fleet.password = password;

  const setup = parseSetup(values, env, mqttUrl, problems);

  // Cross-field rules (e.g. prefix + number too long for an id) once each flag is well-formed.
  if (problems.length === 0) problems.push(...validateFleetOptions(fleet));
  if (problems.length > 0) return { kind: "usage_error", message: problems.join("\n") };
  return { kind: "run", fleet, json: values.json, quiet: values.quiet, ...(setup ? { setup } : {}) };
}

/** Per-sensor credentials and TLS: checked here, read and resolved by setup.ts before the fleet starts. */
function parseSetup(
  values: ReturnType<typeof parse>["values"],
  env: Env,
  mqttUrl: string,
  problems: string[],
): FleetSetup | undefined {
  const setup: FleetSetup = {};
  if (values.credentials !== undefined && values.provision !== undefined) {
    problems.push("--credentials and --provision are alternatives: give one");
  }
  if ((values.credentials !== undefined || values.provision !== undefined) && values.username !== undefined) {
    problems.push("--username does not go with per-sensor credentials: each sensor logs in as its id");
  }
  if (values.credentials !== undefined) {
    setup.credentialsFile = values.credentials;
    setup.sensorsGiven = values.sensors !== undefined;
  }
  if (values.provision !== undefined) {
    const apiToken = values["api-token"] ?? env.API_TOKEN;
    if (!/^https?:\/\/[^/]/.test(values.provision)) {
      problems.push(`--provision must be the API's http:// or https:// URL, got '${values.provision}'`);
    }
    if (!apiToken) problems.push("--provision needs the API token: --api-token or $API_TOKEN");
    setup.provision = { apiUrl: values.provision, apiToken: apiToken ?? "" };
  }
  if (values.ca !== undefined) {
    if (!/^(mqtts|tls|wss):/.test(mqttUrl)) problems.push(`--ca needs an mqtts:// or wss:// --url, got '${mqttUrl}'`);
    setup.caFile = values.ca;
  }
  return Object.keys(setup).length > 0 ? setup : undefined;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      sensors: { type: "string", short: "n" },
      rate: { type: "string", short: "r", default: "1" },
      batch: { type: "string", short: "b", default: "1" },
      duration: { type: "string", short: "d", default: "0" },
      url: { type: "string", short: "u" },
      prefix: { type: "string", short: "p", default: "sim" },
      types: { type: "string", short: "t", default: "vibration" },
      username: { type: "string" },
      password: { type: "string" },
      concurrency: { type: "string" },
      "fail-commands": { type: "string" },
      "ignore-commands": { type: "string" },
      credentials: { type: "string" },
      provision: { type: "string" },
      "api-token": { type: "string" },
      ca: { type: "string" },
      json: { type: "boolean", default: false },
      quiet: { type: "boolean", short: "q", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}

function parseTypes(raw: string, problems: string[]): SensorType[] {
  const names = raw
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  const unknown = names.filter((t) => !isSensorType(t));
  if (names.length === 0 || unknown.length > 0) {
    problems.push(`--types must be a comma list of ${SENSOR_TYPES.join(", ")}, got '${raw}'`);
  }
  return names.filter(isSensorType);
}
