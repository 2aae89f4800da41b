import type { BatchStore } from "@sensorstream/bus";
import { type MeasurementMessage, microsOf } from "@sensorstream/contracts";
import {
  copyBinary,
  errorCode,
  isPermanentDataError,
  type Pool,
  type PoolClient,
  type StagedTransaction,
  stagedTransaction,
} from "@sensorstream/db";
import { type BatchRows, batchRows } from "../core/batch-rows.js";

const STAGING = `
CREATE TEMP TABLE IF NOT EXISTS staging_measurements
  (time timestamptz, sensor_id text, metric text, value double precision) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS staging_positions
  (time timestamptz, sensor_id text, lat double precision, lon double precision) ON COMMIT DELETE ROWS;`;

const MEASUREMENT_COLUMNS = ["time", "sensor_id", "metric", "value"] as const;
const POSITION_COLUMNS = ["time", "sensor_id", "lat", "lon"] as const;

/**
 * The newest value per series, kept in the readings' transaction, from the batch's newest values (one per series,
 * picked while the batch was encoded). ORDER BY the key: rows are upserted in key order, so two concurrent batches
 * lock shared rows in the same order (no deadlock); the `time >` guard means a replay or an older, late batch never
 * moves a series backwards (an equal time keeps the stored value, as the readings table does).
 */
const UPSERT_LATEST = `
INSERT INTO measurements_latest AS l (sensor_id, metric, time, value)
SELECT sensor_id, metric, time, value
  FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::double precision[]) AS b(sensor_id, metric, time, value)
 ORDER BY sensor_id, metric
ON CONFLICT (sensor_id, metric) DO UPDATE SET time = excluded.time, value = excluded.value
 WHERE excluded.time > l.time`;

/** unique_violation: a row of the batch is stored already (a replay) or is in the batch twice. */
const UNIQUE_VIOLATION = "23505";

export type WriteResult = { measurements: number; positions: number; inserted: number; duplicates: number };

/**
 * Writes a batch in one transaction. Optimistically first: COPY straight into the tables (replays are rare, and a
 * plain COPY is about twice as fast as staging + INSERT … ON CONFLICT). When that hits a row that exists (unique
 * violation: the transaction rolls back, nothing of it stays), the batch is written again the safe way: COPY into
 * per-connection staging tables, then INSERT … ON CONFLICT DO NOTHING, so a replayed reading never duplicates a row.
 * Either way the series' latest values (measurements_latest) move forward in the same transaction.
 */
export class PgMeasurementStore implements BatchStore<MeasurementMessage, WriteResult> {
  readonly #transaction: StagedTransaction;
  readonly #onStaged: () => void;
  /** Batches that hit a stored row and were written again through staging. */
  fallbacks = 0;

  constructor(pool: Pool, o: { onStaged?: () => void } = {}) {
    this.#transaction = stagedTransaction(pool, STAGING);
    this.#onStaged = o.onStaged ?? (() => {});
  }

  isPermanent(err: unknown): boolean {
    return isPermanentDataError(err);
  }

  async write(messages: readonly MeasurementMessage[]): Promise<WriteResult> {
    const rows = batchRows(messages, microsOf);
    try {
      return await this.#transaction((client) => this.#direct(client, rows));
    } catch (err) {
      if (errorCode(err) !== UNIQUE_VIOLATION) throw err;
      this.fallbacks++;
      this.#onStaged();
      return this.#transaction((client) => this.#staged(client, rows));
    }
  }

  async #direct(client: PoolClient, rows: BatchRows): Promise<WriteResult> {
    if (rows.measurements > 0) {
      await copyBinary(client, "measurements", MEASUREMENT_COLUMNS, rows.measurementCopy);
      await this.#upsertLatest(client, rows);
    }
    if (rows.positions > 0) await copyBinary(client, "positions", POSITION_COLUMNS, rows.positionCopy);
    const total = rows.measurements + rows.positions;
    return { measurements: rows.measurements, positions: rows.positions, inserted: total, duplicates: 0 };
  }

  async #staged(client: PoolClient, rows: BatchRows): Promise<WriteResult> {
    let inserted = 0;
    if (rows.measurements > 0) {
      await copyBinary(client, "staging_measurements", MEASUREMENT_COLUMNS, rows.measurementCopy);
      const r = await client.query(
        `INSERT INTO measurements (time, sensor_id, metric, value)
         SELECT time, sensor_id, metric, value FROM staging_measurements
         ON CONFLICT (sensor_id, metric, time) DO NOTHING`,
      );
      inserted += r.rowCount ?? 0;
      await this.#upsertLatest(client, rows);
    }
    if (rows.positions > 0) {
      await copyBinary(client, "staging_positions", POSITION_COLUMNS, rows.positionCopy);
      const r = await client.query(
        `INSERT INTO positions (time, sensor_id, lat, lon)
         SELECT time, sensor_id, lat, lon FROM staging_positions
         ON CONFLICT (sensor_id, time) DO NOTHING`,
      );
      inserted += r.rowCount ?? 0;
    }
    const total = rows.measurements + rows.positions;
    return { measurements: rows.measurements, positions: rows.positions, inserted, duplicates: total - inserted };
  }

  #upsertLatest(client: PoolClient, rows: BatchRows): Promise<unknown> {
    const l = rows.latest;
    return client.query(UPSERT_LATEST, [l.sensorIds, l.metrics, l.times, l.values]);
  }
}
