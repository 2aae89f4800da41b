import { parseBusMessage } from "@sensorstream/contracts";
import type { Parse } from "./types.js";

/** A contract's zod schema, as parseBusMessage takes it (libs/bus needs no zod of its own). */
type Schema<T extends { sensor_id: string }> = Parameters<typeof parseBusMessage<T>>[0];

/**
 * The parser of a queue that carries one per-sensor contract: JSON, the contract's schema, and a sensor_id that
 * matches the routing key (sensor_<id>.<kind>).
 */
export function contractParser<T extends { sensor_id: string }>(schema: Schema<T>): Parse<T> {
  return (d) => parseBusMessage(schema, d.content, d.routingKey);
}
