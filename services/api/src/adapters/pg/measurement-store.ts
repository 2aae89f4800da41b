import type { Pool } from "@sensorstream/db";
import { isoMicros } from "./sql.js";

export type MetricValue = { metric: string; value: number; time: string };
export type SensorReading = { sensor_id: string; time: string; values: Record<string, number> };

/**
 * The metrics of one sensor, without reading its history: a recursive "loose index scan" over the
 * (sensor_id, metric, time) primary key hops from one metric to the next, one index probe each.
 * (DISTINCT ON (metric) would read every row of the sensor; PostgreSQL has no skip scan to avoid that.)
 */
const metricsOf = (sensor: string) => `
  WITH RECURSIVE metrics AS (
    (SELECT m.metric FROM measurements m WHERE m.sensor_id = ${sensor} ORDER BY m.metric LIMIT 1)
    UNION ALL
    SELECT (SELECT m.metric FROM measurements m
             WHERE m.sensor_id = ${sensor} AND m.metric > metrics.metric ORDER BY m.metric LIMIT 1)
      FROM metrics WHERE metrics.metric IS NOT NULL
  )`;

/** For each metric of `metrics`, its newest row (one backward index probe each), optionally within a window. */
const latestOf = (sensor: string, since?: string) => `
  SELECT l.metric, l.time, l.value FROM metrics
  CROSS JOIN LATERAL (
    SELECT m.metric, m.time, m.value FROM measurements m
     WHERE m.sensor_id = ${sensor} AND m.metric = metrics.metric${since ? ` AND m.time >= ${since}` : ""}
     ORDER BY m.time DESC LIMIT 1) l`;

/**
 * "Latest" queries over `measurements`. Their cost depends on how many series (sensor, metric) they visit,
 * not on how many rows are stored: about two index probes per series.
 */
export class MeasurementStore {
  constructor(private readonly pool: Pool) {}

  /** The newest value and time of every metric the sensor ever reported, by metric name. */
  async latestOfSensor(sensorId: string): Promise<MetricValue[]> {
    const r = await this.pool.query<MetricValue>(
      `${metricsOf("$1")}
       SELECT x.metric, x.value, ${isoMicros("x.time")} AS time FROM (${latestOf("$1")}) x ORDER BY x.metric`,
      [sensorId],
    );
    return r.rows;
  }

  /**
   * The latest reading (the values of its newest timestamp) of each sensor that stored one within the last
   * `withinSeconds`, in sensor id order from `after`. Sensors are enumerated by a loose index scan too; the
   * recursion runs lazily, so a page stops as soon as it has `limit` active sensors, and its cost is the sensors
   * it walks past (inactive ones included) times their metrics, whatever the window.
   */
  async latestReadings(q: {
    /** RFC 3339: readings at or after this instant count as activity */
    since: string;
    after?: string | undefined;
    limit: number;
  }): Promise<{ items: SensorReading[]; nextAfter: string | undefined }> {
    // No ORDER BY on the outer query: it would make PostgreSQL evaluate the whole recursion before LIMIT.
    // The nested loop over the recursive scan already yields sensors in id order.
    const r = await this.pool.query<SensorReading>(
      `WITH RECURSIVE sensor_ids AS (
         (SELECT m.sensor_id FROM measurements m WHERE m.sensor_id > $2 ORDER BY m.sensor_id LIMIT 1)
         UNION ALL
         SELECT (SELECT m.sensor_id FROM measurements m WHERE m.sensor_id > s.sensor_id ORDER BY m.sensor_id LIMIT 1)
           FROM sensor_ids s WHERE s.sensor_id IS NOT NULL
       )
       SELECT s.sensor_id, ${isoMicros("r.time")} AS time, r.values
         FROM sensor_ids s
         CROSS JOIN LATERAL (
           ${metricsOf("s.sensor_id")}, latest AS (${latestOf("s.sensor_id", "$1::timestamptz")})
           SELECT l.time, jsonb_object_agg(l.metric, l.value) AS values
             FROM latest l WHERE l.time = (SELECT max(time) FROM latest)
            GROUP BY l.time
         ) r
        WHERE s.sensor_id IS NOT NULL
        LIMIT $3`,
      [q.since, q.after ?? "", q.limit + 1],
    );
    const items = r.rows.slice(0, q.limit);
    return { items, nextAfter: r.rows.length > q.limit ? items.at(-1)?.sensor_id : undefined };
  }
}
