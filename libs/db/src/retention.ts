import { counter, type Logger, type Registry } from "@sensorstream/runtime";
import type pg from "pg";
import type { StorageFlavor } from "./migrations.js";
import { quoteIdent } from "./pool.js";

export type RetentionOptions = {
  pool: pg.Pool;
  flavor: StorageFlavor;
  /** Tables with a `time` column that this service owns; each is handled under its own advisory lock. */
  tables: readonly string[];
  /** Rows older than this many days go; 0 keeps everything (and removes a TimescaleDB policy). */
  days: number;
  logger: Logger;
  registry: Registry;
  /** Plain PostgreSQL only: time between sweeps. */
  intervalMs?: number;
  /** Plain PostgreSQL only: rows per DELETE, so no statement holds locks or bloats WAL for long. */
  batchRows?: number;
};

/** Rows deleted per table by one sweep, or "locked" when another replica was sweeping that table. */
export type SweepResult = Record<string, number | "locked">;

export type Retention = {
  /** Plain PostgreSQL: join the sweep under way, or start one. TimescaleDB: the policy does the work (`{}`). */
  sweep(): Promise<SweepResult>;
  stop(): Promise<void>;
};

const HOUR_MS = 3_600_000;
/** First key of the two-key advisory lock form, a namespace of its own (the migration lock uses the one-key form). */
const RETENTION_LOCK_CLASS = 734_051;

/** The advisory lock key pair for one table's retention: stable across processes and versions (FNV-1a). */
export function retentionLockKey(table: string): [number, number] {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(table, "utf8")) {
    h ^= ch;
    h = Math.imul(h, 0x01000193);
  }
  return [RETENTION_LOCK_CLASS, h | 0];
}

/**
 * Keeps `days` of data in `tables`. On TimescaleDB it makes the retention policy match the setting
 * and returns; on plain PostgreSQL it deletes expired rows once now and then every `intervalMs`.
 */
export async function startRetention(o: RetentionOptions): Promise<Retention> {
  if (o.flavor.timescale) {
    for (const table of o.tables) await reconcilePolicy(o.pool, table, o.days, o.logger);
    return { sweep: async () => ({}), stop: async () => {} };
  }
  if (o.days === 0) {
    o.logger.info({ tables: o.tables }, "retention off: rows are kept forever");
    return { sweep: async () => ({}), stop: async () => {} };
  }
  const deleted = counter(o.registry, {
    name: "sensorstream_retention_deleted_rows_total",
    help: "Rows deleted by the scheduled retention delete (plain PostgreSQL), by table.",
    labelNames: ["table"] as const,
  });
  const batchRows = o.batchRows ?? 10_000;
  let stopping = false;
  let running: Promise<SweepResult> | undefined;

  const pass = async (): Promise<SweepResult> => {
    const result: SweepResult = {};
    for (const table of o.tables) {
      if (stopping) break;
      const n = await purgeTable(
        o.pool,
        table,
        o.days,
        batchRows,
        () => stopping,
        (rows) => {
          deleted.inc({ table }, rows);
        },
      );
      result[table] = n;
      if (n !== "locked" && n > 0) o.logger.info({ table, rows: n, days: o.days }, "retention deleted expired rows");
    }
    return result;
  };
  const sweep = (): Promise<SweepResult> => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };
  const scheduled = () => {
    sweep().catch((err: unknown) => o.logger.warn({ err }, "retention delete failed; retrying at the next sweep"));
  };

  scheduled();
  const timer = setInterval(scheduled, o.intervalMs ?? HOUR_MS);
  timer.unref();
  return {
    sweep,
    async stop() {
      stopping = true;
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}

/** Deletes expired rows in bounded chunks under a try-lock; "locked" if another session holds it. */
async function purgeTable(
  pool: pg.Pool,
  table: string,
  days: number,
  batchRows: number,
  stopping: () => boolean,
  onDeleted: (rows: number) => void,
): Promise<number | "locked"> {
  const key = retentionLockKey(table);
  const client = await pool.connect();
  try {
    const lock = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS ok", key);
    if (!lock.rows[0]?.ok) return "locked";
    try {
      const t = quoteIdent(table);
      // ctid batches: a plain DELETE has no LIMIT, and one unbounded DELETE could run for hours.
      const sql = `DELETE FROM ${t} WHERE ctid IN (
        SELECT ctid FROM ${t} WHERE time < now() - make_interval(days => $1) LIMIT $2)`;
      let total = 0;
      for (;;) {
        const n = (await client.query(sql, [days, batchRows])).rowCount ?? 0;
        total += n;
        if (n > 0) onDeleted(n);
        if (n < batchRows || stopping()) return total;
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1, $2)", key).catch(() => {});
    }
  } finally {
    client.release();
  }
}

/** Adds, replaces or removes the table's TimescaleDB retention policy so it matches `days`. */
async function reconcilePolicy(pool: pg.Pool, table: string, days: number, logger: Logger): Promise<void> {
  const key = retentionLockKey(table);
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1, $2)", key);
    try {
      const existing = await client.query<{ same: boolean }>(
        `SELECT (config->>'drop_after')::interval = make_interval(days => $2) AS same
           FROM timescaledb_information.jobs
          WHERE proc_name = 'policy_retention' AND hypertable_schema = current_schema() AND hypertable_name = $1`,
        [table, days],
      );
      const has = existing.rows.length > 0;
      if (days > 0 && has && existing.rows.every((r) => r.same)) return;
      if (has) {
        await client.query("SELECT remove_retention_policy($1::regclass, if_exists => true)", [table]);
        logger.info({ table }, "removed the retention policy");
      }
      if (days > 0) {
        await client.query(
          "SELECT add_retention_policy($1::regclass, drop_after => make_interval(days => $2), if_not_exists => true)",
          [table, days],
        );
        logger.info({ table, days }, "retention policy set");
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1, $2)", key).catch(() => {});
    }
  } finally {
    client.release();
  }
}
