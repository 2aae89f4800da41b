import { LOGS, type LogEntry, type LogReader, openBus, QUEUES } from "@sensorstream/bus";
import { type CommandRecord, devicePayload } from "@sensorstream/commands";
import { commandRoutingKey } from "@sensorstream/contracts";
import type { Logger, Registry } from "@sensorstream/runtime";
import type { AnnounceDeletion } from "@sensorstream/sensors";

export type SensorEvents = {
  announce: AnnounceDeletion;
  /** Publishes a just-issued command to the gateways (confirmed, not mandatory); see sendCommand below. */
  sendCommand(c: CommandRecord): Promise<void>;
  /** Reads the live log (committed readings, presence, alarms) from an offset, or from now on ("next"). */
  readLive(from: number | "next", onEntry: (e: LogEntry) => void): Promise<LogReader>;
  close(): Promise<void>;
};

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
  const bus = openBus({ url: o.url, name: "api", logger: o.logger, registry: o.registry });
  await bus.declare([QUEUES.measurementsPurge, QUEUES.logsPurge]);
  // The live stream's log: declared by its reader, so it exists (and keeps events) once any API replica ran.
  await bus.declareLog(LOGS.live);
  bus.start();
  return {
    announce: (routingKey, event) =>
      bus.publish(routingKey, Buffer.from(JSON.stringify(event)), { messageId: event.msg_id }),
    // Not mandatory: no gateway replica bound (none running) is no error. The command is in the command
    // service's table already; that service sends it again when the sensor's presence says it is back.
    sendCommand: (c) =>
      bus.publish(commandRoutingKey(c.sensor_id, c.name), Buffer.from(JSON.stringify(devicePayload(c))), {
        messageId: c.command_id,
        mandatory: false,
      }),
    readLive: (from, onEntry) => bus.readLog({ log: LOGS.live.name, from, onEntry }),
    close: () => bus.close(),
  };
}
