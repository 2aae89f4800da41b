import type { MeasurementMessage } from "@sensorstream/contracts";
import { BinaryCopyWriter } from "./copy-binary.js";

/** The newest value of each series (sensor, metric) in a batch, as parallel arrays for one `unnest` upsert. */
export type LatestValues = { sensorIds: string[]; metrics: string[]; times: string[]; values: number[] };

/**
 * A batch ready to write: the measurement and position rows in binary COPY format (columns time, sensor_id, metric,
 * value and time, sensor_id, lat, lon), and the newest value per series.
 */
export type BatchRows = {
  measurements: number;
  measurementCopy: Buffer[];
  positions: number;
  positionCopy: Buffer[];
  latest: LatestValues;
};

/**
 * One pass over a batch: its rows in binary COPY format (built straight from the messages, no row arrays: the
 * ingester's hot loop) and the newest value per series, compared by time (parsed once per reading); on equal times
 * the first one wins, as in the readings table.
 */
export function batchRows(messages: readonly MeasurementMessage[], micros: (time: string) => number): BatchRows {
  const m = new BinaryCopyWriter();
  const p = new BinaryCopyWriter();
  const latest = new Map<string, { sensorId: string; metric: string; time: string; us: number; value: number }>();
  const metricBytes = new Map<string, Buffer>();
  for (const msg of messages) {
    const sensor = Buffer.from(msg.sensor_id, "utf8");
    for (const r of msg.readings) {
      const us = micros(r.time);
      for (const metric in r.values) {
        const value = r.values[metric] as number;
        let mb = metricBytes.get(metric);
        if (mb === undefined) {
          mb = Buffer.from(metric, "utf8");
          metricBytes.set(metric, mb);
        }
        m.timeTextTextDouble(us, sensor, mb, value);
        const key = `${msg.sensor_id}\u0000${metric}`;
        const seen = latest.get(key);
        if (seen === undefined) latest.set(key, { sensorId: msg.sensor_id, metric, time: r.time, us, value });
        else if (us > seen.us) {
          seen.time = r.time;
          seen.us = us;
          seen.value = value;
        }
      }
      if (r.lat !== undefined && r.lon !== undefined) p.timeTextDoubleDouble(us, sensor, r.lat, r.lon);
    }
  }
  const out: LatestValues = { sensorIds: [], metrics: [], times: [], values: [] };
  for (const v of latest.values()) {
    out.sensorIds.push(v.sensorId);
    out.metrics.push(v.metric);
    out.times.push(v.time);
    out.values.push(v.value);
  }
  return {
    measurements: m.rows,
    measurementCopy: m.rows > 0 ? m.end() : [],
    positions: p.rows,
    positionCopy: p.rows > 0 ? p.end() : [],
    latest: out,
  };
}
