import { type ActivityReport, microsOf } from "@sensorstream/contracts";
import type { SensorEvent } from "../core/fold.js";

/** A gateway's periodic report of who it heard from (and their last position): one event per sensor. */
export function activityEvents(m: ActivityReport, source: number): SensorEvent[] {
  return m.sensors.map((x) => ({
    sensorId: x.sensor_id,
    source,
    event: { type: "activity", us: microsOf(x.last_seen) },
    position:
      x.lat === undefined || x.lon === undefined || x.position_at === undefined
        ? undefined
        : { lat: x.lat, lon: x.lon, us: microsOf(x.position_at) },
  }));
}
