import { type ConnectionEvent, microsOf } from "@sensorstream/contracts";
import type { SensorEvent } from "../core/fold.js";

/** The gateway saw a sensor's MQTT connection open or close; connected_at names the connection. */
export function connectionEvents(m: ConnectionEvent, source: number): SensorEvent[] {
  return [
    {
      sensorId: m.sensor_id,
      source,
      event: {
        type: "connection",
        us: microsOf(m.received_at),
        connected: m.connected,
        connectedUs: m.connected_at === undefined ? undefined : microsOf(m.connected_at),
      },
    },
  ];
}
