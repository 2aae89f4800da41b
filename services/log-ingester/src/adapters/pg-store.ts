import type { BatchStore, WriteCounts } from "@sensorstream/bus";
import type { LogMessage } from "@sensorstream/contracts";
import { copyRows, isPermanentDataError, type Pool, type StagedTransaction, stagedTransaction } from "@sensorstream/db";
import { toLogRows } from "../core/rows.js";

const STAGING = `
CREATE TEMP TABLE IF NOT EXISTS staging_sensor_logs
  (time timestamptz, sensor_id text, level text, msg text, fields jsonb) ON COMMIT DELETE ROWS;`;

/**
 * Writes a batch of log lines in one transaction: COPY into a per-connection staging table, then
 * insert with ON CONFLICT DO NOTHING. A line is keyed by (sensor_id, time, level, md5(msg)), so a
 * replayed message never duplicates a row (the hash keeps the key small whatever the line's length).
 */
export class PgLogStore implements BatchStore<LogMessage, WriteCounts> {
  readonly #transaction: StagedTransaction;

  constructor(pool: Pool) {
    this.#transaction = stagedTransaction(pool, STAGING);
  }

  isPermanent(err: unknown): boolean {
    return isPermanentDataError(err);
  }

  async write(messages: readonly LogMessage[]): Promise<WriteCounts> {
    const rows = toLogRows(messages);
    return this.#transaction(async (client) => {
      await copyRows(client, "staging_sensor_logs", ["time", "sensor_id", "level", "msg", "fields"], rows);
      const r = await client.query(
        `INSERT INTO sensor_logs (time, sensor_id, level, msg, fields, msg_hash)
         SELECT time, sensor_id, level, msg, fields, md5(msg) FROM staging_sensor_logs
         ON CONFLICT (sensor_id, time, level, msg_hash) DO NOTHING`,
      );
      const inserted = r.rowCount ?? 0;
      return { inserted, duplicates: rows.length - inserted };
    });
  }
}
