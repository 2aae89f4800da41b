import type { Pool } from "@sensorstream/db";
import { isoMicros } from "./sql.js";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A level filter means "this level or more severe": `warn` returns warn and error lines. */
export const levelsAtLeast = (level: LogLevel): LogLevel[] => LOG_LEVELS.slice(LOG_LEVELS.indexOf(level));

export type LogLine = { time: string; level: LogLevel; msg: string; fields: Record<string, unknown> };

/** Where the previous page ended: the primary key of its last line. */
export type LogCursor = { time: string; level: string; msgHash: string };

export type LogQuery = {
  /** inclusive, RFC 3339 */
  from?: string | undefined;
  /** exclusive, RFC 3339 */
  to?: string | undefined;
  levels?: readonly LogLevel[] | undefined;
  before?: LogCursor | undefined;
  limit: number;
};

/**
 * Reads `sensor_logs` newest first. The page walks the primary key (sensor_id, time, level, msg_hash)
 * backwards from the cursor, so a page costs the lines it returns plus those the level filter skips,
 * however long the history is; ties on time are broken by the rest of the key, so nothing is skipped or repeated.
 */
export class LogStore {
  constructor(private readonly pool: Pool) {}

  async page(sensorId: string, q: LogQuery): Promise<{ items: LogLine[]; next: LogCursor | undefined }> {
    // Conditions are left out rather than written as "$n IS NULL OR ...", so every plan is the index range scan.
    const params: unknown[] = [sensorId];
    const where = ["sensor_id = $1"];
    const bind = (v: unknown) => `$${params.push(v)}`;
    if (q.from !== undefined) where.push(`time >= ${bind(q.from)}::timestamptz`);
    if (q.to !== undefined) where.push(`time < ${bind(q.to)}::timestamptz`);
    if (q.levels !== undefined) where.push(`level = ANY(${bind([...q.levels])}::text[])`);
    if (q.before !== undefined) {
      const b = q.before;
      where.push(`(time, level, msg_hash) < (${bind(b.time)}::timestamptz, ${bind(b.level)}, ${bind(b.msgHash)})`);
    }
    const r = await this.pool.query<LogLine & { msg_hash: string }>(
      `SELECT ${isoMicros("time")} AS time, level, msg, fields, msg_hash
         FROM sensor_logs
        WHERE ${where.join(" AND ")}
        ORDER BY time DESC, level DESC, msg_hash DESC
        LIMIT ${bind(q.limit + 1)}`,
      params,
    );
    const rows = r.rows.slice(0, q.limit);
    const last = rows.at(-1);
    return {
      items: rows.map(({ msg_hash: _, ...line }) => line),
      next:
        r.rows.length > q.limit && last ? { time: last.time, level: last.level, msgHash: last.msg_hash } : undefined,
    };
  }

  /** Whether any line of this sensor is stored (one index probe). */
  async any(sensorId: string): Promise<boolean> {
    const r = await this.pool.query("SELECT 1 FROM sensor_logs WHERE sensor_id = $1 LIMIT 1", [sensorId]);
    return (r.rowCount ?? 0) > 0;
  }
}
