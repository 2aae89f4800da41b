import type { BatchStore } from "@sensorstream/bus";
import { type MeasurementMessage, microsOf } from "@sensorstream/contracts";
import { errorCode, isPermanentDataError, type Pool, type PoolClient } from "@sensorstream/db";
import { type BatchRows, batchRows } from "../core/batch-rows.js";
import { writeQuery } from "./write-statement.js";

/** unique_violation: a row of the batch is stored already (a replay) or is in the batch twice. */
const UNIQUE_VIOLATION = "23505";

export type WriteResult = { measurements: number; positions: number; inserted: number; duplicates: number };

/**
 * Writes a batch with one statement (one round trip, its own transaction; see write-statement.ts). Optimistically
 * first: plain INSERTs (replays are rare, and skipping ON CONFLICT's speculative insertion is cheaper). When that hits
 * a row that exists (unique violation: the statement rolls back, nothing of it stays), the same statement runs again
 * with ON CONFLICT DO NOTHING, so a replayed reading never duplicates a row and the rows that existed are counted.
 * Either way the series' latest values (measurements_latest) move forward in the same statement.
 */
export class PgMeasurementStore implements BatchStore<MeasurementMessage, WriteResult> {
  readonly #pool: Pool;
  /** Called for each batch that hit a stored row and was written again with ON CONFLICT DO NOTHING. */
  readonly #onRewritten: () => void;

  constructor(pool: Pool, o: { onRewritten?: () => void } = {}) {
    this.#pool = pool;
    this.#onRewritten = o.onRewritten ?? (() => {});
  }

  isPermanent(err: unknown): boolean {
    return isPermanentDataError(err);
  }

  async write(messages: readonly MeasurementMessage[]): Promise<WriteResult> {
    const rows = batchRows(messages, microsOf);
    if (rows.measurements + rows.positions === 0) return { measurements: 0, positions: 0, inserted: 0, duplicates: 0 };
    // A pooled client rather than pool.query: pool.query discards the connection on any error, and with it the
    // prepared statements, while a unique violation or a refused value leaves it perfectly usable.
    const client = await this.#pool.connect();
    let broken = false;
    try {
      return await this.#write(client, rows);
    } catch (err) {
      broken = !isPermanentDataError(err);
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async #write(client: PoolClient, rows: BatchRows): Promise<WriteResult> {
    try {
      return await this.#run(client, rows, false);
    } catch (err) {
      if (errorCode(err) !== UNIQUE_VIOLATION) throw err;
    }
    this.#onRewritten();
    return this.#run(client, rows, true);
  }

  async #run(client: PoolClient, rows: BatchRows, tolerant: boolean): Promise<WriteResult> {
    const r = await client.query<{ measurements: number; positions: number }>(writeQuery(rows, tolerant));
    const written = r.rows[0] ?? { measurements: 0, positions: 0 };
    const inserted = written.measurements + written.positions;
    const total = rows.measurements + rows.positions;
    return { measurements: rows.measurements, positions: rows.positions, inserted, duplicates: total - inserted };
  }
}
