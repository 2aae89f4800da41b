import type { Logger } from "@sensorstream/runtime";
import type pg from "pg";
import type { StorageFlavor } from "./migrations.js";

/** How an owner's hypertables are kept on TimescaleDB (plain PostgreSQL has no such knobs; see retention.ts). */
export type StorageSettings = {
  /** Hypertables and their compression segmenting (set by the migrations). */
  tables: readonly string[];
  /** Width of new chunks. */
  chunkHours: number;
  /**
   * How late a reading may still arrive (edge buffers, replays). Chunks are compressed only once their newest
   * possible reading is older than this plus one chunk: late writes never land in a compressed chunk. 0: no
   * compression.
   */
  replayWindowHours: number;
  /** Continuous aggregates to refresh, and how often. */
  aggregates: readonly string[];
  aggregateRefreshSeconds: number;
};

/**
 * Makes the TimescaleDB settings of an owner's tables match the configuration, at startup, idempotently and under
 * an advisory lock (replicas start together): chunk interval (new chunks), compression policy, continuous aggregate
 * refresh schedule. Returns what it changed. A no-op on plain PostgreSQL.
 */
export async function applyStorage(
  pool: pg.Pool,
  flavor: StorageFlavor,
  s: StorageSettings,
  logger: Logger,
): Promise<string[]> {
  if (!flavor.timescale) return [];
  const changed: string[] = [];
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock(7340512332)");
    try {
      for (const table of s.tables) {
        await client.query("SELECT set_chunk_time_interval($1::regclass, make_interval(hours => $2))", [
          table,
          s.chunkHours,
        ]);
        const compressAfter = s.replayWindowHours === 0 ? 0 : s.replayWindowHours + s.chunkHours;
        const now = await client.query<{ same: boolean }>(
          `SELECT (config->>'compress_after')::interval = make_interval(hours => $2) AS same
             FROM timescaledb_information.jobs
            WHERE proc_name = 'policy_compression' AND hypertable_schema = current_schema() AND hypertable_name = $1`,
          [table, compressAfter],
        );
        const has = now.rows.length > 0;
        if (compressAfter > 0 && has && now.rows.every((r) => r.same)) continue;
        if (!has && compressAfter === 0) continue;
        await client.query("SELECT remove_compression_policy($1::regclass, if_exists => true)", [table]);
        if (compressAfter > 0) {
          await client.query(
            "SELECT add_compression_policy($1::regclass, compress_after => make_interval(hours => $2), if_not_exists => true)",
            [table, compressAfter],
          );
        }
        changed.push(`${table} compression ${compressAfter > 0 ? `after ${compressAfter}h` : "off"}`);
      }
      for (const view of s.aggregates) {
        const r = await client.query<{ job_id: number }>(
          // The policy's job names the view (TimescaleDB 2.2x) or, in older versions, its materialization table.
          `SELECT j.job_id FROM timescaledb_information.jobs j
            WHERE j.proc_name = 'policy_refresh_continuous_aggregate'
              AND j.hypertable_name IN (SELECT $1::text UNION ALL
                                        SELECT c.materialization_hypertable_name::text
                                          FROM timescaledb_information.continuous_aggregates c WHERE c.view_name = $1)
              AND j.schedule_interval <> make_interval(secs => $2)`,
          [view, s.aggregateRefreshSeconds],
        );
        for (const { job_id } of r.rows) {
          await client.query("SELECT alter_job($1, schedule_interval => make_interval(secs => $2))", [
            job_id,
            s.aggregateRefreshSeconds,
          ]);
          changed.push(`${view} refreshed every ${s.aggregateRefreshSeconds}s`);
        }
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock(7340512332)");
    }
  } finally {
    client.release();
  }
  if (changed.length > 0) logger.info({ changed }, "storage settings applied");
  return changed;
}
