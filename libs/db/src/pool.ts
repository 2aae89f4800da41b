import type { Logger } from "@sensorstream/runtime";
import pg from "pg";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export type PoolOptions = {
  url: string;
  logger: Logger;
  max?: number;
  applicationName: string;
  /** Session settings of every connection (e.g. the API's work_mem for bucketing), as `-c name=value`. */
  settings?: Readonly<Record<string, string>>;
};

/** A pool whose idle-client errors are logged instead of crashing the process (pg emits them on the pool). */
export function createPool(o: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: o.url,
    max: o.max ?? 10,
    application_name: o.applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    ...(o.settings
      ? {
          options: Object.entries(o.settings)
            .map(([k, v]) => `-c ${k}=${v}`)
            .join(" "),
        }
      : {}),
  });
  pool.on("error", (err) => o.logger.warn({ err }, "idle PostgreSQL connection failed; it will be replaced"));
  // A checked-out client whose socket dies between two queries emits "error" with no listener of its own,
  // which would crash the process; the query in flight (or the next one) fails anyway and is retried.
  pool.on("connect", (client) => {
    client.on("error", (err) => o.logger.warn({ err }, "PostgreSQL connection failed"));
  });
  return pool;
}

/**
 * Creates the database named in `url` if it does not exist (connecting to the server's
 * `postgres` database to do so). Used by `npm start` and the tests, not by deployed services.
 */
export async function ensureDatabase(url: string): Promise<"created" | "exists"> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (!name) throw new Error(`DATABASE_URL ${u.origin} names no database`);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const r = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (r.rowCount) return "exists";
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    } catch (err) {
      // Another process created it between our check and our CREATE.
      if ((err as { code?: string }).code === "42P04") return "exists";
      throw err;
    }
    return "created";
  } finally {
    await client.end();
  }
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
