import { microsOf, type StatusMessage, statusExtras } from "@sensorstream/contracts";
import type { SensorEvent } from "../core/fold.js";

/**
 * A status message (birth, Last Will, mode change): presence, reported mode and rate, and what the device says
 * about itself. Its extra fields are the device-reported metadata, kept apart from the operator's (see docs).
 */
export function statusEvents(m: StatusMessage, source: number): SensorEvent[] {
  const s = m.status;
  return [
    {
      sensorId: m.sensor_id,
      source,
      event: {
        type: "status",
        us: microsOf(m.received_at),
        state: s.state,
        mode: s.mode,
        sampleHz: s.sample_hz,
        connectedUs: m.connected_at === undefined ? undefined : microsOf(m.connected_at),
      },
      description: { type: s.type, model: s.model, firmware: s.firmware, extras: statusExtras(s) },
    },
  ];
}
