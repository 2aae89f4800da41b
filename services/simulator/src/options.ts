import { MAX_READINGS_PER_MESSAGE, SENSOR_ID_PATTERN } from "@sensorstream/contracts";
import { sensorId } from "./schedule.js";
import { type GeoPoint, isSensorType, type Random, SENSOR_TYPES, type SensorType } from "./signals.js";

/** Counters of a running fleet. Snake case: they leave the process as JSON. */
export type FleetStats = {
  sensors: number;
  connected: number;
  messages_sent: number;
  messages_acked: number;
  readings_sent: number;
  readings_acked: number;
  /** Metric values in acked readings: the rows the measurements table should receive. */
  values_acked: number;
  /** Acked readings that carried lat/lon. */
  positions_acked: number;
  publish_errors: number;
  connect_errors: number;
  /** Sensors asleep now (told to sleep by a command). */
  asleep: number;
  /** Messages received on sensors/<id>/commands/<name>, resends included. */
  commands_received: number;
  /** Acks published with status ok / error (a resend's repeated ack counts again). */
  acks_ok: number;
  acks_error: number;
  /** Commands left unanswered by sensors that ignore commands (--ignore-commands). */
  commands_ignored: number;
  /** Command payloads without a usable command_id: nothing to acknowledge. */
  commands_malformed: number;
  last_error: string | null;
  /** Sensors not connected now, by why their last attempt failed ("refused: bad credentials", "unreachable", …). */
  not_connected: Record<string, number>;
  started_at: string;
  elapsed_s: number;
  /** readings_acked / elapsed_s. */
  readings_per_s: number;
};

export type FleetOptions = {
  /** mqtt://, mqtts://, ws:// or wss:// */
  mqttUrl: string;
  sensors: number;
  /** Readings per second per sensor. */
  rateHz: number;
  /** Readings per MQTT message; default 1 (a single object, not an array). */
  batch?: number;
  /** Seconds to run; 0 (the default) runs until stop(). */
  durationS?: number;
  /** Sensor ids are `${idPrefix}-${i}`; default "sim". */
  idPrefix?: string;
  /** Assigned round-robin; default ["vibration"]. */
  types?: readonly SensorType[];
  /** Same username for every sensor; by default each sensor logs in as its own id (when a password is set). */
  username?: string;
  password?: string;
  /** The sensors' ids, in place of `${idPrefix}-${n}` (e.g. from a credentials file); as many as `sensors`. */
  ids?: readonly string[];
  /** Per-sensor MQTT tokens by sensor id: such a sensor logs in as its id with its own token. */
  tokens?: ReadonlyMap<string, string>;
  /** CA certificate(s) (PEM) that the broker's certificate must chain to, for mqtts:// and wss://. */
  ca?: string | Buffer;
  /** CONNECT handshakes in flight at once while the fleet comes up; default 50. */
  connectConcurrency?: number;
  /** Unacknowledged data messages per sensor before it waits (samples are kept, not dropped); default 100. */
  maxInflight?: number;
  /** How long stop() waits for outstanding PUBACKs; default 10 000 ms. */
  drainTimeoutMs?: number;
  /** Share (0..1) of the sensors that answer every command with status error; default 0. */
  failCommands?: number;
  /** Share (0..1) of the sensors that never answer nor act on commands; default 0. */
  ignoreCommands?: number;
  onProgress?: (stats: FleetStats) => void;
  /** default 5000 ms */
  progressIntervalMs?: number;
  /** Where gps sensors start; default Santiago de Chile. */
  origin?: GeoPoint;
  /** Randomness for the signals; default Math.random. */
  random?: Random;
};

type OptionalKeys = "username" | "password" | "onProgress" | "origin" | "ids" | "tokens" | "ca";
export type ResolvedFleetOptions = Required<Omit<FleetOptions, OptionalKeys>> & Pick<FleetOptions, OptionalKeys>;

export const LIMITS = {
  maxSensors: 1_000_000,
  /** At most one sample per microsecond keeps sample times unique. */
  maxRateHz: 1_000_000,
  maxBatch: MAX_READINGS_PER_MESSAGE,
} as const;

export const MQTT_URL_PROTOCOLS = ["mqtt:", "mqtts:", "tcp:", "tls:", "ws:", "wss:"] as const;

const isPositiveInt = (n: number): boolean => Number.isInteger(n) && n > 0;

/** Every problem with the options, or an empty list. */
export function validateFleetOptions(o: FleetOptions): string[] {
  const problems: string[] = [];
  if (!isMqttUrl(o.mqttUrl))
    problems.push(`mqttUrl must be a ${MQTT_URL_PROTOCOLS.join("//, ")}// URL, got '${o.mqttUrl}'`);
  if (!isPositiveInt(o.sensors) || o.sensors > LIMITS.maxSensors) {
    problems.push(`sensors must be an integer from 1 to ${LIMITS.maxSensors}, got ${o.sensors}`);
  }
  if (!(o.rateHz > 0 && o.rateHz <= LIMITS.maxRateHz)) {
    problems.push(`rateHz must be a positive number of at most ${LIMITS.maxRateHz}, got ${o.rateHz}`);
  }
  const batch = o.batch ?? 1;
  if (!isPositiveInt(batch) || batch > LIMITS.maxBatch) {
    problems.push(`batch must be an integer from 1 to ${LIMITS.maxBatch}, got ${batch}`);
  }
  const durationS = o.durationS ?? 0;
  if (!(Number.isFinite(durationS) && durationS >= 0)) {
    problems.push(`durationS must be 0 or a positive number, got ${durationS}`);
  }
  const types = o.types ?? ["vibration"];
  if (types.length === 0 || !types.every(isSensorType)) {
    problems.push(`types must be a non-empty list of ${SENSOR_TYPES.join(", ")}, got [${types.join(", ")}]`);
  }
  const prefix = o.idPrefix ?? "sim";
  if (o.ids !== undefined) {
    if (o.ids.length !== o.sensors) problems.push(`ids must list ${o.sensors} sensors, got ${o.ids.length}`);
    const bad = o.ids.filter((id) => !SENSOR_ID_PATTERN.test(id));
    if (bad.length > 0) problems.push(`ids must be sensor ids, got '${bad.slice(0, 3).join("', '")}'`);
    if (new Set(o.ids).size !== o.ids.length) problems.push("ids must be unique");
  } else if (isPositiveInt(o.sensors)) {
    const last = sensorId(prefix, o.sensors, o.sensors);
    if (!SENSOR_ID_PATTERN.test(last)) {
      problems.push(
        `idPrefix '${prefix}' makes ids like '${last}'; a sensor id is 1-64 of A-Z a-z 0-9 _ -, starting with a letter or digit`,
      );
    }
  }
  for (const [name, value] of [
    ["connectConcurrency", o.connectConcurrency],
    ["maxInflight", o.maxInflight],
  ] as const) {
    if (value !== undefined && !isPositiveInt(value)) problems.push(`${name} must be a positive integer, got ${value}`);
  }
  for (const [name, value] of [
    ["drainTimeoutMs", o.drainTimeoutMs],
    ["progressIntervalMs", o.progressIntervalMs],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      problems.push(`${name} must be a positive number, got ${value}`);
    }
  }
  for (const [name, value] of [
    ["failCommands", o.failCommands],
    ["ignoreCommands", o.ignoreCommands],
  ] as const) {
    if (value !== undefined && !(value >= 0 && value <= 1)) problems.push(`${name} must be from 0 to 1, got ${value}`);
  }
  if ((o.failCommands ?? 0) + (o.ignoreCommands ?? 0) > 1) {
    problems.push(
      `failCommands + ignoreCommands must be at most 1, got ${(o.failCommands ?? 0) + (o.ignoreCommands ?? 0)}`,
    );
  }
  return problems;
}

/** Applies defaults; throws a RangeError listing every problem. */
export function resolveFleetOptions(o: FleetOptions): ResolvedFleetOptions {
  const problems = validateFleetOptions(o);
  if (problems.length > 0) throw new RangeError(`invalid fleet options: ${problems.join("; ")}`);
  const resolved: ResolvedFleetOptions = {
    mqttUrl: o.mqttUrl,
    sensors: o.sensors,
    rateHz: o.rateHz,
    batch: o.batch ?? 1,
    durationS: o.durationS ?? 0,
    idPrefix: o.idPrefix ?? "sim",
    types: o.types ?? ["vibration"],
    connectConcurrency: o.connectConcurrency ?? 50,
    maxInflight: o.maxInflight ?? 100,
    drainTimeoutMs: o.drainTimeoutMs ?? 10_000,
    progressIntervalMs: o.progressIntervalMs ?? 5_000,
    failCommands: o.failCommands ?? 0,
    ignoreCommands: o.ignoreCommands ?? 0,
    random: o.random ?? Math.random,
  };
  if (o.username !== undefined) resolved.username = o.username;
  if (o.password !== undefined) resolved.password = o.password;
  if (o.onProgress !== undefined) resolved.onProgress = o.onProgress;
  if (o.origin !== undefined) resolved.origin = o.origin;
  if (o.ids !== undefined) resolved.ids = o.ids;
  if (o.tokens !== undefined) resolved.tokens = o.tokens;
  if (o.ca !== undefined) resolved.ca = o.ca;
  return resolved;
}

/** An absolute URL with a host and a scheme mqtt.js connects with. */
export function isMqttUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (MQTT_URL_PROTOCOLS as readonly string[]).includes(url.protocol) && url.hostname !== "";
  } catch {
    return false;
  }
}
