import {
  type BridgedElement,
  type MeasurementMessage,
  measurementMessageSchema,
  parseBridgedElements,
  parseBusMessage,
  READINGS_BRIDGED_ROUTING_KEY,
  routingKeyFor,
} from "@sensorstream/contracts";
import type { Parse, Part } from "./types.js";

/** A contract's zod schema, as parseBusMessage takes it (libs/bus needs no zod of its own). */
type Schema<T extends { sensor_id: string }> = Parameters<typeof parseBusMessage<T>>[0];

/**
 * The parser of a queue that carries one per-sensor contract: JSON, the contract's schema, and a sensor_id that
 * matches the routing key (sensor_<id>.<kind>).
 */
export function contractParser<T extends { sensor_id: string }>(schema: Schema<T>): Parse<T> {
  return (d) => parseBusMessage(schema, d.content, d.routingKey);
}

const parseOneReading = contractParser(measurementMessageSchema);

/**
 * The parser of a queue of readings (measurements, alarms.input): a readings.bridged delivery as one part per data
 * message (refused and dead-lettered one by one, under its own sensor_<id>.data key; docs/bus.md), or a single
 * `sensor_<id>.data` message, as such queues held before they were bound to readings.bridged.
 */
export const readingsParser: Parse<MeasurementMessage> = (d) => {
  if (d.routingKey !== READINGS_BRIDGED_ROUTING_KEY) return parseOneReading(d);
  const r = parseBridgedElements(d.content);
  return r.ok ? { ok: true, parts: r.elements.map(partOf) } : r;
};

function partOf(e: BridgedElement): Part<MeasurementMessage> {
  if (e.ok) {
    return {
      routingKey: routingKeyFor(e.message.sensor_id, "data"),
      messageId: e.message.msg_id,
      content: () => Buffer.from(JSON.stringify(e.message)),
      parsed: e,
    };
  }
  return {
    routingKey: e.sensorId === undefined ? READINGS_BRIDGED_ROUTING_KEY : routingKeyFor(e.sensorId, "data"),
    messageId: e.msgId,
    content: () => Buffer.from(JSON.stringify(e.raw)),
    parsed: { ok: false, error: e.error },
  };
}
