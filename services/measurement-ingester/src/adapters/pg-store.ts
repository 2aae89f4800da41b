import type { BatchStore } from "@sensorstream/bus";
import type { MeasurementMessage } from "@sensorstream/contracts";
import { copyRows, isPermanentDataError, type Pool, type StagedTransaction, stagedTransaction } from "@sensorstream/db";
import { toRows } from "../core/rows.js";

const STAGING = `
CREATE TEMP TABLE IF NOT EXISTS staging_measurements
  (time timestamptz, sensor_id text, metric text, value double precision) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS staging_positions
  (time timestamptz, sensor_id text, lat double precision, lon double precision) ON COMMIT DELETE ROWS;`;

/**
 * The newest value per series, kept in the readings' transaction. DISTINCT ON sorts by the key, so rows are
 * upserted in key order and two concurrent batches lock shared rows in the same order (no deadlock); the
 * `time >` guard means a replay or an older, late batch never moves a series backwards (an equal time keeps
 * the stored value, as the readings table does).
 */
const UPSERT_LATEST = `
INSERT INTO measurements_latest AS l (sensor_id, metric, time, value)
SELECT DISTINCT ON (sensor_id, metric) sensor_id, metric, time, value
  FROM staging_measurements
 ORDER BY sensor_id, metric, time DESC
ON CONFLICT (sensor_id, metric) DO UPDATE SET time = excluded.time, value = excluded.value
 WHERE excluded.time > l.time`;

export type WriteResult = { measurements: number; positions: number; inserted: number; duplicates: number };

/**
 * Writes a batch in one transaction: COPY into per-connection staging tables, then insert into the
 * real tables with ON CONFLICT DO NOTHING, so a replayed reading never duplicates a row; the series'
 * latest values (measurements_latest) move forward in the same transaction.
 */
export class PgMeasurementStore implements BatchStore<MeasurementMessage, WriteResult> {
  readonly #transaction: StagedTransaction;

  constructor(pool: Pool) {
    this.#transaction = stagedTransaction(pool, STAGING);
  }

  isPermanent(err: unknown): boolean {
    return isPermanentDataError(err);
  }

  async write(messages: readonly MeasurementMessage[]): Promise<WriteResult> {
    const { measurements, positions } = toRows(messages);
    return this.#transaction(async (client) => {
      let inserted = 0;
      if (measurements.length > 0) {
        await copyRows(client, "staging_measurements", ["time", "sensor_id", "metric", "value"], measurements);
        const r = await client.query(
          `INSERT INTO measurements (time, sensor_id, metric, value)
           SELECT time, sensor_id, metric, value FROM staging_measurements
           ON CONFLICT (sensor_id, metric, time) DO NOTHING`,
        );
        inserted += r.rowCount ?? 0;
        await client.query(UPSERT_LATEST);
      }
      if (positions.length > 0) {
        await copyRows(client, "staging_positions", ["time", "sensor_id", "lat", "lon"], positions);
        const r = await client.query(
          `INSERT INTO positions (time, sensor_id, lat, lon)
           SELECT time, sensor_id, lat, lon FROM staging_positions
           ON CONFLICT (sensor_id, time) DO NOTHING`,
        );
        inserted += r.rowCount ?? 0;
      }
      const total = measurements.length + positions.length;
      return { measurements: measurements.length, positions: positions.length, inserted, duplicates: total - inserted };
    });
  }
}
