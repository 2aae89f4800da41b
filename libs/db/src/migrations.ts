import { readdir, readFile } from "node:fs/promises";
import { backoff, type Logger, sleep, TIMESCALE_MODES } from "@sensorstream/runtime";
import type pg from "pg";

// Defined with the TIMESCALEDB config variable (runtime's databaseConfig), which cannot depend on this lib.
export { TIMESCALE_MODES };
export type TimescaleMode = (typeof TIMESCALE_MODES)[number];

export type StorageFlavor = { timescale: false } | { timescale: true; version: string };

/** A fixed key for pg_advisory_lock: every replica of every service migrates under the same lock. */
const MIGRATION_LOCK_KEY = 7_340_512_331;

/** A migration or extension problem that retrying cannot fix (unlike an unreachable database). */
export class MigrationError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = "MigrationError";
  }
}

const MIGRATIONS_DIR = new URL("../migrations/", import.meta.url);

type Migration = { id: string; file: string; variant: "common" | "timescale" | "postgres" };

/**
 * Migrations are plain SQL files `NNNN_name.sql`, plus optional `NNNN_name.timescale.sql` (run only
 * with the timescaledb extension) and `NNNN_name.postgres.sql` (only without it). Each file runs once,
 * in its own transaction, recorded in schema_migrations, under an advisory lock.
 */
export async function listMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql"));
  const migrations: Migration[] = files.map((file) => ({
    id: file.replace(/\.sql$/, ""),
    file,
    variant: file.endsWith(".timescale.sql") ? "timescale" : file.endsWith(".postgres.sql") ? "postgres" : "common",
  }));
  // A variant builds on its common file, which a plain sort would put after `NNNN_name.postgres.sql`.
  const base = (m: Migration) => (m.variant === "common" ? m.id : m.id.slice(0, m.id.lastIndexOf(".")));
  const rank = { common: 0, timescale: 1, postgres: 1 } as const;
  return migrations.sort((a, b) => {
    const [x, y] = [base(a), base(b)];
    return x < y ? -1 : x > y ? 1 : rank[a.variant] - rank[b.variant] || (a.id < b.id ? -1 : 1);
  });
}

export async function detectTimescale(client: pg.PoolClient | pg.Client): Promise<StorageFlavor> {
  const r = await client.query<{ extversion: string }>(
    "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'",
  );
  const row = r.rows[0];
  return row ? { timescale: true, version: row.extversion } : { timescale: false };
}

export async function migrate(
  pool: pg.Pool,
  o: { logger: Logger; timescale: TimescaleMode; dir?: URL },
): Promise<StorageFlavor & { applied: string[] }> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      const flavor = await prepareExtension(client, o.timescale, o.logger);
      // Only when missing: a service whose role may not create in the schema (a least-privilege
      // deployment migrates under its own role first) can still check that nothing is left to apply.
      const exists = await client.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS ok");
      if (!exists.rows[0]?.ok) {
        await client.query(
          "CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
        );
      }
      const done = new Set(
        (await client.query<{ id: string }>("SELECT id FROM schema_migrations")).rows.map((r) => r.id),
      );
      const applied: string[] = [];
      for (const m of await listMigrations(o.dir)) {
        if (done.has(m.id)) continue;
        if (m.variant === "timescale" && !flavor.timescale) continue;
        if (m.variant === "postgres" && flavor.timescale) continue;
        const sql = await readFile(new URL(m.file, o.dir ?? MIGRATIONS_DIR), "utf8");
        await client.query("BEGIN");
        try {
          await client.query(sql);
          await client.query("INSERT INTO schema_migrations (id) VALUES ($1)", [m.id]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK").catch(() => {});
          throw new MigrationError(`migration ${m.file} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(m.id);
        o.logger.info({ migration: m.id }, "applied migration");
      }
      return { ...flavor, applied };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
    }
  } finally {
    client.release();
  }
}

async function prepareExtension(client: pg.PoolClient, mode: TimescaleMode, logger: Logger): Promise<StorageFlavor> {
  if (mode === "off") return { timescale: false };
  const current = await detectTimescale(client);
  if (current.timescale) return current;
  const available = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
  if (available.rowCount) {
    try {
      await client.query("CREATE EXTENSION IF NOT EXISTS timescaledb");
      return await detectTimescale(client);
    } catch (err) {
      if (mode === "require")
        throw new MigrationError(`cannot create the timescaledb extension: ${(err as Error).message}`);
      logger.warn({ err }, "timescaledb is installed but could not be enabled; using plain PostgreSQL");
      return { timescale: false };
    }
  }
  if (mode === "require") {
    throw new MigrationError(
      "TIMESCALEDB=require but the timescaledb extension is not installed on this PostgreSQL server",
    );
  }
  logger.info("timescaledb not available: using plain PostgreSQL tables and indexes");
  return { timescale: false };
}

/** The schema must exist before a service's first write: an unreachable database is waited for, a broken migration is fatal. */
export async function migrateWhenReachable(
  pool: pg.Pool,
  timescale: TimescaleMode,
  logger: Logger,
): Promise<StorageFlavor> {
  const wait = backoff(500, 10_000);
  for (;;) {
    try {
      const flavor = await migrate(pool, { logger, timescale });
      logger.info({ timescaledb: flavor.timescale ? flavor.version : false }, "database schema ready");
      return flavor;
    } catch (err) {
      if (err instanceof MigrationError) {
        await pool.end();
        throw err;
      }
      logger.warn({ err }, "database unavailable; retrying");
      await sleep(wait.next());
    }
  }
}
