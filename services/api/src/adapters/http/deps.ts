import type { AlarmAdmin } from "@sensorstream/alarms";
import type { CommandAdmin, CommandRecord } from "@sensorstream/commands";
import type { AnnounceDeletion, SensorAdmin, SubscriberAdmin } from "@sensorstream/sensors";
import type { Revocations } from "../bus/revocations.js";
import type { SensorEvents } from "../bus/sensor-events.js";
import type { LogStore } from "../pg/log-store.js";
import type { MeasurementStore } from "../pg/measurement-store.js";
import type { RangeStore, RollupCatalog } from "../pg/range-store.js";

/** What the route modules read and write through. */
export type Stores = {
  sensors: SensorAdmin;
  subscribers: SubscriberAdmin;
  logs: LogStore;
  measurements: MeasurementStore;
  /** Range, bucketed and track queries, and exports. */
  ranges: RangeStore;
  rollups: RollupCatalog;
  revocations: Revocations;
  /** Publishes a sensor's deletion to the owners of its data. */
  announce: AnnounceDeletion;
  /** Commands, through the command service's module (libs/commands). */
  commands: CommandAdmin;
  /** Reads the live log (the SSE stream's source) from an offset, or from now on. */
  readLive: SensorEvents["readLive"];
  /** Alarm rules and alarms, through the alarm service's module (libs/alarms). */
  alarms: AlarmAdmin;
  /** Publishes a just-issued command to the gateways. */
  sendCommand: (c: CommandRecord) => Promise<void>;
};
