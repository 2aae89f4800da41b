import { QUEUES, RabbitBus } from "@sensorstream/bus";
import type { Logger, Registry } from "@sensorstream/runtime";
import type { AnnounceDeletion } from "@sensorstream/sensors";

export type SensorEvents = { announce: AnnounceDeletion; close(): Promise<void> };

/**
 * Sensor deletions, to the services that own the sensor's data (confirmed, mandatory: a deletion nobody would
 * purge is refused). The purge queues are declared here too (declaring is idempotent), so a deletion is kept
 * for an owner that is not running yet instead of being refused as unroutable. credentials.revoked has its own
 * publisher (revocations.ts, not mandatory); sharing one connection between them is a follow-up.
 */
export async function connectSensorEvents(o: {
  url: string;
  logger: Logger;
  registry: Registry;
}): Promise<SensorEvents> {
  const bus = new RabbitBus({ url: o.url, name: "api", logger: o.logger, registry: o.registry });
  await bus.declare([QUEUES.measurementsPurge, QUEUES.logsPurge]);
  bus.start();
  return {
    announce: (routingKey, event) =>
      bus.publish(routingKey, Buffer.from(JSON.stringify(event)), { messageId: event.msg_id }),
    close: () => bus.close(),
  };
}
