import type { MeasurementMessage } from "@sensorstream/contracts";

export type MeasurementRow = readonly [time: string, sensorId: string, metric: string, value: number];
export type PositionRow = readonly [time: string, sensorId: string, lat: number, lon: number];

/** Flattens messages to one row per (sensor, metric, time) and one position per reading with lat/lon. */
export function toRows(messages: readonly MeasurementMessage[]): {
  measurements: MeasurementRow[];
  positions: PositionRow[];
} {
  const measurements: MeasurementRow[] = [];
  const positions: PositionRow[] = [];
  for (const m of messages) {
    for (const r of m.readings) {
      for (const metric in r.values) {
        measurements.push([r.time, m.sensor_id, metric, r.values[metric] as number]);
      }
      if (r.lat !== undefined && r.lon !== undefined) positions.push([r.time, m.sensor_id, r.lat, r.lon]);
    }
  }
  return { measurements, positions };
}

/** Rows a message will produce: what the batch size limit counts. */
export const rowCount = (m: MeasurementMessage): number => {
  let n = 0;
  for (const r of m.readings) {
    n += Object.keys(r.values).length + (r.lat !== undefined ? 1 : 0);
  }
  return n;
};
