import type { NotConnectedReason } from "./backoff.js";
import type { AckPayload, CommandBehaviour } from "./commands.js";
import type { SensorLink } from "./link.js";
import type { SensorClock } from "./schedule.js";
import type { SensorType, Signal } from "./signals.js";

/** One sensor of a running fleet: the fleet's scheduler and its command handling share it. */
export type VirtualSensor = {
  index: number;
  id: string;
  type: SensorType;
  signal: Signal;
  clock: SensorClock;
  dataTopic: string;
  statusTopic: string;
  commandsPrefix: string;
  behaviour: CommandBehaviour;
  asleep: boolean;
  /** Bumped on every reschedule: queue entries with an older tag are stale and dropped. */
  gen: number;
  /** Acks of the commands answered lately, by command id (resends get the same ack). */
  answered: Map<string, AckPayload>;
  /** First sample index of the next message. */
  nextK: number;
  inflight: number;
  connected: boolean;
  /** Why the last connection attempt failed (while not connected), for the progress line. */
  notConnected: NotConnectedReason | undefined;
  link: SensorLink | undefined;
};
