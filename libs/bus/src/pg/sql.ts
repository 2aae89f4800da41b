import type pg from "pg";

/** A pool or a client: anything that runs a query. */
export type Queryable = Pick<pg.ClientBase, "query">;

/** Runs fn in one transaction on a client of the pool. */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client has no error listener of the pool's: a backend ending now would be an uncaught 'error'.
  const onError = (err: Error) => {
    broken = err;
  };
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    const out = await fn(client);
    await client.query("COMMIT");
    return out;
  } catch (err) {
    await client.query("ROLLBACK").catch((e: Error) => {
      broken = e;
    });
    throw err;
  } finally {
    client.removeListener("error", onError);
    // A client whose connection broke is not given back to the pool for reuse.
    client.release(broken);
  }
}

/** The error means the connection (or the server) went away, not that the statement was wrong. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && (/^08/.test(code) || code === "57P01" || code === "57P02" || code === "57P03")) {
    return true;
  }
  const msg = err instanceof Error ? err.message : "";
  return /Connection terminated|ECONNREFUSED|ECONNRESET|EPIPE|not queryable|Client was closed/i.test(msg);
}
