import {
  type DeviceKind,
  formatMicros,
  microsOf,
  type ParsedDeviceMessage,
  parseDevicePayload,
  parseDeviceTopic,
  type RejectReason,
} from "@sensorstream/contracts";
import { type Identity, mayPublish, sensorOf } from "./access.js";

export type BridgeInput = {
  /** Who published (undefined for the broker itself): a topic outside what it may use is refused first. */
  identity?: Identity | undefined;
  topic: string;
  payload: Uint8Array;
  msgId: string;
  receivedUs: number;
  maxPayloadBytes: number;
  /** The publisher's credential was revoked while it was connected: it may publish nothing more. */
  revoked?: boolean | undefined;
  /** When the publishing connection was accepted: stamped on status messages so presence is ordered by connection. */
  connectedAtUs?: number | undefined;
};

/** Kept of a refused payload in its dead letter: enough to diagnose, never the whole of an oversized one. */
export const DEAD_LETTER_BODY_LIMIT = 4096;

export type BridgeDecision =
  | {
      action: "publish";
      kind: DeviceKind;
      sensorId: string;
      routingKey: string;
      body: Buffer;
      readings: number;
      /** The newest reading with lat/lon, for the registry's last known position. */
      position: { lat: number; lon: number; us: number } | undefined;
    }
  | {
      action: "dead_letter";
      reason: RejectReason;
      error: string;
      sensorId: string | undefined;
      kind: DeviceKind | undefined;
      routingKey: string;
      body: Buffer;
      originalBytes: number;
    };

/**
 * What the gateway does with one device publish: forward its normalized form to the bus, or
 * dead-letter it with the reason. Pure: ids and the clock come in, nothing goes out.
 */
export function decide(input: BridgeInput): BridgeDecision {
  const raw = Buffer.from(input.payload.buffer, input.payload.byteOffset, input.payload.byteLength);
  const topic = parseDeviceTopic(input.topic);
  const refuse = (
    reason: RejectReason,
    error: string,
    sensorId: string | undefined,
    kind: DeviceKind | undefined,
    routingKey: string,
  ): BridgeDecision => ({
    action: "dead_letter",
    reason,
    error,
    sensorId,
    kind,
    routingKey,
    body: raw.subarray(0, DEAD_LETTER_BODY_LIMIT),
    originalBytes: raw.byteLength,
  });
  const who = input.identity;
  if (who && input.revoked) {
    return refuse("not_authorized", "the credential was revoked", sensorOf(who), undefined, "rejected.not_authorized");
  }
  if (who && !mayPublish(who, input.topic)) {
    const name = who.kind === "sensor" ? `sensor ${who.sensorId}` : who.kind;
    return refuse(
      "not_authorized",
      `${name} may not publish to ${input.topic.slice(0, 200)}`,
      sensorOf(who),
      undefined,
      "rejected.not_authorized",
    );
  }
  if (!topic.ok) return refuse("invalid_topic", topic.error, undefined, undefined, "rejected.topic");
  if (raw.byteLength > input.maxPayloadBytes) {
    return refuse(
      "payload_too_large",
      `payload is ${raw.byteLength} bytes; the limit is ${input.maxPayloadBytes} (MAX_PAYLOAD_BYTES)`,
      topic.sensor_id,
      topic.kind,
      topic.routing_key,
    );
  }
  const parsed = parseDevicePayload(topic.kind, raw, {
    sensor_id: topic.sensor_id,
    msg_id: input.msgId,
    received_us: input.receivedUs,
  });
  if (!parsed.ok) return refuse(parsed.reason, parsed.error, topic.sensor_id, topic.kind, topic.routing_key);
  const message =
    parsed.kind === "status" && input.connectedAtUs !== undefined
      ? { ...parsed.message, connected_at: formatMicros(input.connectedAtUs) }
      : parsed.message;
  return {
    action: "publish",
    kind: topic.kind,
    sensorId: topic.sensor_id,
    routingKey: topic.routing_key,
    body: Buffer.from(JSON.stringify(message)),
    readings:
      parsed.kind === "data"
        ? parsed.message.readings.length
        : parsed.kind === "logs"
          ? parsed.message.entries.length
          : 1,
    position: newestPosition(parsed),
  };
}

function newestPosition(parsed: ParsedDeviceMessage): { lat: number; lon: number; us: number } | undefined {
  if (parsed.kind !== "data") return undefined;
  let best: { lat: number; lon: number; us: number } | undefined;
  for (const r of parsed.message.readings) {
    if (r.lat === undefined || r.lon === undefined) continue;
    const us = microsOf(r.time);
    if (!best || us >= best.us) best = { lat: r.lat, lon: r.lon, us };
  }
  return best;
}
