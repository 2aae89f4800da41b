import type { MeasurementMessage } from "@sensorstream/contracts";
import { BinaryArray, ELEMENT } from "./binary-array.js";

/** The newest value of each series (sensor, metric) in a batch: one element per series, times in Unix µs. */
export type LatestValues = { sensorIds: string[]; metrics: string[]; times: number[]; values: number[] };

/**
 * A batch ready to write as one statement: each table's columns as binary arrays for `unnest` (measurements: time,
 * sensor_id, metric, value; positions: time, sensor_id, lat, lon; latest: sensor_id, metric, time, value).
 */
export type BatchRows = {
  measurements: number;
  measurementColumns: Buffer[];
  positions: number;
  positionColumns: Buffer[];
  latest: LatestValues;
  latestColumns: Buffer[];
};

type Latest = { sensorId: string; metric: string; us: number; value: number };

/**
 * One pass over a batch: its rows as binary arrays (built straight from the messages, no row objects: the
 * ingester's hot loop) and the newest value per series, compared by time (parsed once per reading); on equal times
 * the first one wins, as in the readings table.
 */
export function batchRows(messages: readonly MeasurementMessage[], micros: (time: string) => number): BatchRows {
  const m = [ELEMENT.timestamptz, ELEMENT.text, ELEMENT.text, ELEMENT.float8].map((t) => new BinaryArray(t));
  const p = [ELEMENT.timestamptz, ELEMENT.text, ELEMENT.float8, ELEMENT.float8].map((t) => new BinaryArray(t));
  const [mTime, mSensor, mMetric, mValue] = m as [BinaryArray, BinaryArray, BinaryArray, BinaryArray];
  const [pTime, pSensor, pLat, pLon] = p as [BinaryArray, BinaryArray, BinaryArray, BinaryArray];
  const latest = new Map<string, Latest>();
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
        mTime.time(us);
        mSensor.text(sensor);
        mMetric.text(mb);
        mValue.float8(value);
        keepNewest(latest, msg.sensor_id, metric, us, value);
      }
      if (r.lat !== undefined && r.lon !== undefined) {
        pTime.time(us);
        pSensor.text(sensor);
        pLat.float8(r.lat);
        pLon.float8(r.lon);
      }
    }
  }
  const out = latestValues(latest);
  return {
    measurements: mTime.length,
    measurementColumns: m.map((a) => a.end()),
    positions: pTime.length,
    positionColumns: p.map((a) => a.end()),
    latest: out,
    latestColumns: latestColumns(out, metricBytes),
  };
}

function keepNewest(latest: Map<string, Latest>, sensorId: string, metric: string, us: number, value: number): void {
  const key = `${sensorId}\u0000${metric}`;
  const seen = latest.get(key);
  if (seen === undefined) latest.set(key, { sensorId, metric, us, value });
  else if (us > seen.us) {
    seen.us = us;
    seen.value = value;
  }
}

function latestValues(latest: Map<string, Latest>): LatestValues {
  const out: LatestValues = { sensorIds: [], metrics: [], times: [], values: [] };
  for (const v of latest.values()) {
    out.sensorIds.push(v.sensorId);
    out.metrics.push(v.metric);
    out.times.push(v.us);
    out.values.push(v.value);
  }
  return out;
}

function latestColumns(l: LatestValues, metricBytes: Map<string, Buffer>): Buffer[] {
  const sensor = new BinaryArray(ELEMENT.text);
  const metric = new BinaryArray(ELEMENT.text);
  const time = new BinaryArray(ELEMENT.timestamptz);
  const value = new BinaryArray(ELEMENT.float8);
  for (let i = 0; i < l.sensorIds.length; i++) {
    sensor.text(Buffer.from(l.sensorIds[i] as string, "utf8"));
    metric.text(metricBytes.get(l.metrics[i] as string) as Buffer);
    time.time(l.times[i] as number);
    value.float8(l.values[i] as number);
  }
  return [sensor.end(), metric.end(), time.end(), value.end()];
}
