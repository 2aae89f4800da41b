import type pg from "pg";
import { LIVE_SESSIONS } from "./declare.js";
import { trimLogs } from "./logs.js";
import { trimHead } from "./publisher.js";
import { returnMessages } from "./returns.js";
import { TOPOLOGY_CHANNEL } from "./schema.js";
import { inTransaction } from "./sql.js";
import type { PgTopology } from "./topology.js";

/**
 * What RabbitMQ does when a connection dies, done by whichever bus runs next: messages held by a session that is gone
 * come back (counted, dead-lettered past the delivery limit), its transient queues are deleted, and drop-head queues
 * are trimmed to their length.
 */
export async function sweep(pool: pg.Pool, topology: PgTopology): Promise<void> {
  await inTransaction(pool, (c) => returnMessages(c, topology, `locked_by NOT IN (${LIVE_SESSIONS})`, []));
  const gone = await pool.query(`DELETE FROM bus.queues WHERE owner IS NOT NULL AND owner NOT IN (${LIVE_SESSIONS})`);
  if (gone.rowCount) {
    await pool.query("SELECT pg_notify($1, '')", [TOPOLOGY_CHANNEL]);
    await topology.load(pool);
  }
  await trimLogs(pool);
  for (const q of topology.queues.values()) {
    if (q.overflow === "drop-head") await trimHead(pool, q.name, q.max_length);
  }
}
