import { isSensorId } from "./sensor-id.js";

/** The topic exchange every service publishes to and binds from. */
export const EXCHANGE = "sensor_streaming";
/** Where rejected messages go, with the reason in headers. */
export const DEAD_LETTER_EXCHANGE = "sensor_streaming.dlx";

/** What a device may publish, and the routing-key suffix each becomes inside. */
export const DEVICE_KINDS = {
  data: "data",
  logs: "logs",
  status: "status",
  acks: "commands.ack",
} as const;
export type DeviceKind = keyof typeof DEVICE_KINDS;

export const COMMAND_NAMES = ["sleep", "awake", "change_sample_frequency"] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export type DeviceTopic = { sensor_id: string; kind: DeviceKind; routing_key: string };
export type TopicParseResult = ({ ok: true } & DeviceTopic) | { ok: false; error: string };

const isDeviceKind = (k: string): k is DeviceKind => Object.hasOwn(DEVICE_KINDS, k);

/** Parses `sensors/<id>/<kind>`, the only topics a device publishes on. Never throws. */
export function parseDeviceTopic(topic: string): TopicParseResult {
  const parts = topic.split("/");
  if (parts.length !== 3 || parts[0] !== "sensors") {
    return { ok: false, error: `topic "${topic.slice(0, 120)}" is not sensors/<id>/(data|logs|status|acks)` };
  }
  const id = parts[1] ?? "";
  const kind = parts[2] ?? "";
  if (!isSensorId(id)) {
    return { ok: false, error: `"${id.slice(0, 80)}" is not a valid sensor id (1-64 of A-Z a-z 0-9 _ -)` };
  }
  if (!isDeviceKind(kind)) {
    return { ok: false, error: `"${kind.slice(0, 40)}" is not a device topic kind (data, logs, status, acks)` };
  }
  return { ok: true, sensor_id: id, kind, routing_key: routingKeyFor(id, kind) };
}

export const routingKeyFor = (sensorId: string, kind: DeviceKind): string => `sensor_${sensorId}.${DEVICE_KINDS[kind]}`;
export const deviceTopicFor = (sensorId: string, kind: DeviceKind): string => `sensors/${sensorId}/${kind}`;
export const commandRoutingKey = (sensorId: string, name: CommandName): string => `sensor_${sensorId}.commands.${name}`;
export const commandTopic = (sensorId: string, name: CommandName): string => `sensors/${sensorId}/commands/${name}`;
export const alarmRoutingKey = (sensorId: string): string => `sensor_${sensorId}.alarms.trigger`;
export const alertTopic = (sensorId: string): string => `alerts/${sensorId}`;
export const presenceRoutingKey = (sensorId: string): string => `sensor_${sensorId}.presence`;

/** Extracts the sensor id from any `sensor_<id>.…` routing key, or undefined. */
export function sensorIdFromRoutingKey(routingKey: string): string | undefined {
  if (!routingKey.startsWith("sensor_")) return undefined;
  const dot = routingKey.indexOf(".");
  const id = routingKey.slice(7, dot === -1 ? undefined : dot);
  return isSensorId(id) ? id : undefined;
}
