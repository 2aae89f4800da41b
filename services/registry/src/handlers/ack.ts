import { type AckMessage, microsOf } from "@sensorstream/contracts";
import type { SensorEvent } from "../core/fold.js";

/**
 * A command acknowledgement: for presence, the sensor was heard from. (The command's lifecycle belongs to the
 * command service, which reads acks from its own queue.)
 */
export function ackEvents(m: AckMessage, source: number): SensorEvent[] {
  return [{ sensorId: m.sensor_id, source, event: { type: "activity", us: microsOf(m.received_at) } }];
}
