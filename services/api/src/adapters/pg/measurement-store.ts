import type { Pool } from "@sensorstream/db";
import { isoMicros } from "./sql.js";

export type MetricValue = { metric: string; value: number; time: string };
export type SensorReading = { sensor_id: string; time: string; values: Record<string, number> };

/**
 * "Latest" queries, answered from measurements_latest (one row per series, kept by the measurement ingester in
 * the readings' transaction): their cost is the series they return, never the rows stored.
 */
export class MeasurementStore {
  constructor(private readonly pool: Pool) {}

  /** The newest value and time of every metric the sensor ever reported, by metric name. */
  async latestOfSensor(sensorId: string): Promise<MetricValue[]> {
    const r = await this.pool.query<MetricValue>(
      `SELECT metric, value, ${isoMicros("time")} AS time FROM measurements_latest WHERE sensor_id = $1 ORDER BY metric`,
      [sensorId],
    );
    return r.rows;
  }

  /**
   * The latest reading (the values of its newest timestamp) of each sensor whose newest value is at or after
   * `since`, in sensor id order from `after`: one pass over the primary key of measurements_latest.
   */
  async latestReadings(q: {
    /** RFC 3339: readings at or after this instant count as activity */
    since: string;
    after?: string | undefined;
    limit: number;
  }): Promise<{ items: SensorReading[]; nextAfter: string | undefined }> {
    const r = await this.pool.query<SensorReading>(
      `SELECT x.sensor_id, ${isoMicros("x.time")} AS time, jsonb_object_agg(x.metric, x.value) AS values
         FROM (SELECT l.sensor_id, l.metric, l.time, l.value, max(l.time) OVER (PARTITION BY l.sensor_id) AS newest
                 FROM measurements_latest l
                WHERE l.sensor_id > $2 AND l.time >= $1::timestamptz) x
        WHERE x.time = x.newest
        GROUP BY x.sensor_id, x.time
        ORDER BY x.sensor_id
        LIMIT $3`,
      [q.since, q.after ?? "", q.limit + 1],
    );
    const items = r.rows.slice(0, q.limit);
    return { items, nextAfter: r.rows.length > q.limit ? items.at(-1)?.sensor_id : undefined };
  }
}
