import {
  type Alert,
  alertSchema,
  alertTopic,
  COMMAND_NAMES,
  type Command,
  commandSchema,
  commandTopic,
  sensorIdFromRoutingKey,
} from "@sensorstream/contracts";

/** The keys every replica's own queue binds for the outbound path (explicit names: `*.commands.*` would also match .ack and .delivered). */
export const OUTBOUND_BINDINGS = [...COMMAND_NAMES.map((n) => `*.commands.${n}`), "*.alarms.trigger"] as const;

export type OutboundDecision =
  | { action: "command"; sensorId: string; topic: string; command: Command; payload: Buffer }
  | { action: "alert"; sensorId: string; topic: string; alert: Alert; payload: Buffer }
  | { action: "expired"; sensorId: string; commandId: string }
  | { action: "invalid"; kind: "command" | "alert" | "unknown"; error: string };

/**
 * What to do with one message from the platform on this replica's queue. Pure: the routing key names the sensor (a
 * command body carries no sensor id), the body must satisfy the contract, and a command past its expires_at is
 * never delivered. The MQTT payload is the validated body re-serialized, so nothing outside the contract reaches a device.
 */
export function decideOutbound(routingKey: string, content: Buffer, nowMs: number): OutboundDecision {
  const sensorId = sensorIdFromRoutingKey(routingKey);
  const rest = sensorId === undefined ? "" : routingKey.slice(`sensor_${sensorId}.`.length);
  const kind = rest.startsWith("commands.") ? "command" : rest === "alarms.trigger" ? "alert" : "unknown";
  if (sensorId === undefined || kind === "unknown") {
    return { action: "invalid", kind, error: `routing key ${routingKey.slice(0, 120)} is not an outbound key` };
  }
  let body: unknown;
  try {
    body = JSON.parse(content.toString("utf8"));
  } catch {
    return { action: "invalid", kind, error: "body is not JSON" };
  }
  return kind === "command" ? decideCommand(sensorId, rest.slice(9), body, nowMs) : decideAlert(sensorId, body);
}

function decideCommand(sensorId: string, name: string, body: unknown, nowMs: number): OutboundDecision {
  const parsed = commandSchema.safeParse(body);
  if (!parsed.success) return { action: "invalid", kind: "command", error: parsed.error.message.slice(0, 500) };
  const command = parsed.data;
  if (command.name !== name) {
    return { action: "invalid", kind: "command", error: `body names ${command.name}, routing key ${name}` };
  }
  if (Date.parse(command.expires_at) <= nowMs) {
    return { action: "expired", sensorId, commandId: command.command_id };
  }
  const topic = commandTopic(sensorId, command.name);
  return { action: "command", sensorId, topic, command, payload: Buffer.from(JSON.stringify(command)) };
}

function decideAlert(sensorId: string, body: unknown): OutboundDecision {
  const parsed = alertSchema.safeParse(body);
  if (!parsed.success) return { action: "invalid", kind: "alert", error: parsed.error.message.slice(0, 500) };
  if (parsed.data.sensor_id !== sensorId) {
    return { action: "invalid", kind: "alert", error: `body names sensor ${parsed.data.sensor_id.slice(0, 64)}` };
  }
  const alert = parsed.data;
  return { action: "alert", sensorId, topic: alertTopic(sensorId), alert, payload: Buffer.from(JSON.stringify(alert)) };
}
