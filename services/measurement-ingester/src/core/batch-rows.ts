import type { MeasurementMessage } from "@sensorstream/contracts";
import { copyText } from "@sensorstream/db";

/** The newest value of each series (sensor, metric) in a batch, as parallel arrays for one `unnest` upsert. */
export type LatestValues = { sensorIds: string[]; metrics: string[]; times: string[]; values: number[] };

/**
 * A batch ready to write: the measurement and position rows already in COPY's text format (columns time, sensor_id,
 * metric, value and time, sensor_id, lat, lon), and the newest value per series.
 */
export type BatchRows = {
  measurements: number;
  measurementText: string[];
  positions: number;
  positionText: string[];
  latest: LatestValues;
};

const CHUNK = 64 * 1024;

/**
 * "2026-11-23T08:00:00.000001Z", the form the gateway writes: for two of these, string order is time order. Anything
 * else RFC 3339 allows (offsets, other precisions) is compared by value.
 */
const NORMALIZED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const newer = (a: string, b: string, micros: (t: string) => number): boolean =>
  a.length === 27 && b.length === 27 && NORMALIZED.test(a) && NORMALIZED.test(b) ? a > b : micros(a) > micros(b);

/**
 * One pass over a batch: the COPY text of its rows (built straight from the messages, no row arrays: the ingester's
 * hot loop) and the newest value per series. On equal times the first one wins, as in the readings table.
 */
export function batchRows(messages: readonly MeasurementMessage[], micros: (time: string) => number): BatchRows {
  const measurementText: string[] = [];
  const positionText: string[] = [];
  let m = "";
  let p = "";
  let measurements = 0;
  let positions = 0;
  const latest = new Map<string, { sensorId: string; metric: string; time: string; value: number }>();
  const escapedMetric = new Map<string, string>();
  for (const msg of messages) {
    const sensor = copyText(msg.sensor_id);
    for (const r of msg.readings) {
      const time = copyText(r.time);
      for (const metric in r.values) {
        const value = r.values[metric] as number;
        let em = escapedMetric.get(metric);
        if (em === undefined) {
          em = copyText(metric);
          escapedMetric.set(metric, em);
        }
        m += `${time}\t${sensor}\t${em}\t${copyText(value)}\n`;
        measurements++;
        const key = `${msg.sensor_id}\u0000${metric}`;
        const seen = latest.get(key);
        if (seen === undefined) latest.set(key, { sensorId: msg.sensor_id, metric, time: r.time, value });
        else if (newer(r.time, seen.time, micros)) {
          seen.time = r.time;
          seen.value = value;
        }
      }
      if (m.length > CHUNK) {
        measurementText.push(m);
        m = "";
      }
      if (r.lat !== undefined && r.lon !== undefined) {
        p += `${time}\t${sensor}\t${copyText(r.lat)}\t${copyText(r.lon)}\n`;
        positions++;
        if (p.length > CHUNK) {
          positionText.push(p);
          p = "";
        }
      }
    }
  }
  if (m) measurementText.push(m);
  if (p) positionText.push(p);
  const out: LatestValues = { sensorIds: [], metrics: [], times: [], values: [] };
  for (const v of latest.values()) {
    out.sensorIds.push(v.sensorId);
    out.metrics.push(v.metric);
    out.times.push(v.time);
    out.values.push(v.value);
  }
  return { measurements, measurementText, positions, positionText, latest: out };
}
