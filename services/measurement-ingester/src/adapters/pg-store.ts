import type { BatchStore } from "@sensorstream/bus";
import type { MeasurementMessage } from "@sensorstream/contracts";
import { copyRows, isPermanentDataError, type Pool, type StagedTransaction, stagedTransaction } from "@sensorstream/db";
import { toRows } from "../core/rows.js";

const STAGING = `
CREATE TEMP TABLE IF NOT EXISTS staging_measurements
  (time timestamptz, sensor_id text, metric text, value double precision) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS staging_positions
  (time timestamptz, sensor_id text, lat double precision, lon double precision) ON COMMIT DELETE ROWS;`;

export type WriteResult = { measurements: number; positions: number; inserted: number; duplicates: number };

/**
 * Writes a batch in one transaction: COPY into per-connection staging tables, then insert into the
 * real tables with ON CONFLICT DO NOTHING, so a replayed reading never duplicates a row.
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
