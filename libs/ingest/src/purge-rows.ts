import { type Pool, quoteIdent, type StorageFlavor } from "@sensorstream/db";

type PurgedWindow = { rows: number; from: Date | undefined; to: Date | undefined };

/**
 * Deletes every row of one sensor from a table with `sensor_id` and `time` columns, `batchRows` times at
 * a time, each batch its own transaction: a sensor with years of readings never holds one huge lock or
 * a transaction that retention and ingestion wait behind. Running it again deletes nothing more
 * (idempotent), so a redelivered purge is harmless. Returns how many rows went and the time span they
 * covered (for refreshing aggregates over exactly that window).
 */
async function purgeSensorRows(pool: Pool, table: string, sensorId: string, batchRows: number): Promise<PurgedWindow> {
  const t = quoteIdent(table);
  const total: PurgedWindow = { rows: 0, from: undefined, to: undefined };
  for (;;) {
    // Selecting times (not ctid) works on plain tables and hypertables alike (a ctid is per chunk).
    const r = await pool.query<{ n: number; lo: Date | null; hi: Date | null }>(
      `WITH batch AS (SELECT time FROM ${t} WHERE sensor_id = $1 LIMIT $2),
            gone AS (DELETE FROM ${t} WHERE sensor_id = $1 AND time IN (SELECT time FROM batch) RETURNING time)
       SELECT count(*)::int AS n, min(time) AS lo, max(time) AS hi FROM gone`,
      [sensorId, batchRows],
    );
    const row = r.rows[0];
    if (!row || row.n === 0) return total;
    total.rows += row.n;
    if (row.lo && (!total.from || row.lo < total.from)) total.from = row.lo;
    if (row.hi && (!total.to || row.hi > total.to)) total.to = row.hi;
  }
}

/**
 * Deletes one sensor's rows from each of an owner's tables, then refreshes the TimescaleDB continuous
 * aggregates over the span that went (their buckets would otherwise keep the deleted sensor's figures).
 * Returns the rows deleted by table.
 */
export async function purgeSensor(
  pool: Pool,
  flavor: StorageFlavor,
  owned: { tables: readonly string[]; aggregates?: Readonly<Record<string, readonly string[]>> | undefined },
  sensorId: string,
  batchRows: number,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of owned.tables) {
    const window = await purgeSensorRows(pool, table, sensorId, batchRows);
    counts[table] = window.rows;
    if (!flavor.timescale || !window.from || !window.to) continue;
    for (const view of owned.aggregates?.[table] ?? []) {
      // Widened by an hour each side: the buckets (up to an hour wide) holding the first and last deleted rows are
      // refreshed whole, and the window is never smaller than one bucket (TimescaleDB refuses that).
      await pool.query("CALL refresh_continuous_aggregate($1::regclass, $2::timestamptz, $3::timestamptz)", [
        view,
        new Date(window.from.getTime() - 3_600_000),
        new Date(window.to.getTime() + 3_600_000),
      ]);
    }
  }
  return counts;
}
