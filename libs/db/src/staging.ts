import { isPermanentDataError } from "./errors.js";
import type { Pool, PoolClient } from "./pool.js";

export type StagedTransaction = <R>(work: (client: PoolClient) => Promise<R>) => Promise<R>;

/**
 * How every batch writer writes: one transaction per batch on a pooled connection that has its own
 * temporary staging tables, created once per connection by `stagingDdl` (declare them ON COMMIT
 * DELETE ROWS, so a committed or rolled-back batch leaves them empty). A data error leaves the
 * connection usable; anything else (connection lost, failed rollback) discards it from the pool.
 */
export function stagedTransaction(pool: Pool, stagingDdl: string): StagedTransaction {
  const prepared = new WeakSet<PoolClient>();
  return async (work) => {
    const client = await pool.connect();
    let broken = false;
    try {
      if (!prepared.has(client)) {
        await client.query(stagingDdl);
        prepared.add(client);
      }
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      if (!isPermanentDataError(err)) broken = true;
      throw err;
    } finally {
      client.release(broken);
    }
  };
}
