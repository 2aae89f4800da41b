import { WAKEUP_CHANNEL } from "./schema.js";
import type { Queryable } from "./sql.js";
import type { PgTopology } from "./topology.js";

/** Why a message leaves its queue for the dead-letter exchange (RabbitMQ's x-death reasons). */
export type DeathReason = "rejected" | "delivery_limit" | "maxlen";

type MessageRow = {
  id: string;
  queue: string;
  exchange: string;
  routing_key: string;
  message_id: string | null;
  headers: Record<string, unknown>;
  content: Buffer;
};

const MESSAGE_COLUMNS = "id, queue, exchange, routing_key, message_id, headers, content";

/**
 * Moves messages (by id) out of their queue to its dead-letter exchange, with RabbitMQ's x-death headers, in the
 * caller's transaction. A queue without a dead-letter exchange just drops them (transient queues).
 */
export async function deadLetterMessages(
  db: Queryable,
  topology: PgTopology,
  ids: readonly string[],
  reason: DeathReason,
): Promise<void> {
  if (ids.length === 0) return;
  const { rows } = await db.query<MessageRow>(
    `DELETE FROM bus.messages WHERE id = ANY($1::bigint[]) RETURNING ${MESSAGE_COLUMNS}`,
    [ids],
  );
  const out: Array<{ queue: string; m: MessageRow; exchange: string; headers: Record<string, unknown> }> = [];
  for (const m of rows.sort((a, b) => Number(a.id) - Number(b.id))) {
    const dlx = topology.queues.get(m.queue)?.dead_letter_exchange;
    if (!dlx) continue;
    const death = { queue: m.queue, reason, exchange: m.exchange, "routing-keys": [m.routing_key], count: 1 };
    const previous = Array.isArray(m.headers["x-death"]) ? (m.headers["x-death"] as unknown[]) : [];
    const headers: Record<string, unknown> = { ...m.headers, "x-death": [death, ...previous] };
    headers["x-first-death-reason"] ??= reason;
    headers["x-first-death-queue"] ??= m.queue;
    headers["x-first-death-exchange"] ??= m.exchange;
    for (const target of topology.route(dlx, m.routing_key))
      out.push({ queue: target.name, m, exchange: dlx, headers });
  }
  if (out.length === 0) return;
  await db.query(
    `INSERT INTO bus.messages (queue, exchange, routing_key, message_id, headers, content)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::bytea[])`,
    [
      out.map((o) => o.queue),
      out.map((o) => o.exchange),
      out.map((o) => o.m.routing_key),
      out.map((o) => o.m.message_id),
      out.map((o) => JSON.stringify(o.headers)),
      out.map((o) => o.m.content),
    ],
  );
  await notifyQueues(
    db,
    out.map((o) => o.queue),
  );
}

/**
 * Puts held messages back in their queues (a nack with requeue, a closed consumer, a dead session), counting the
 * return; one returned more often than its queue's delivery limit is dead-lettered instead. In the caller's transaction.
 */
export async function returnMessages(
  db: Queryable,
  topology: PgTopology,
  where: string,
  params: unknown[],
): Promise<number> {
  const { rows } = await db.query<{ id: string; queue: string; returned: number }>(
    `UPDATE bus.messages SET locked_by = NULL, consumer = NULL, returned = returned + 1
     WHERE locked_by IS NOT NULL AND ${where} RETURNING id, queue, returned`,
    params,
  );
  const dead = rows.filter((r) => {
    const limit = topology.queues.get(r.queue)?.delivery_limit;
    return limit !== null && limit !== undefined && r.returned > limit;
  });
  await deadLetterMessages(
    db,
    topology,
    dead.map((r) => r.id),
    "delivery_limit",
  );
  await notifyQueues(
    db,
    rows.map((r) => r.queue),
  );
  return rows.length;
}

/** Wakes the consumers of these queues, in every process (delivered at commit). */
export async function notifyQueues(db: Queryable, queues: readonly string[]): Promise<void> {
  const unique = [...new Set(queues)];
  if (unique.length === 0) return;
  await db.query("SELECT pg_notify($1, q) FROM unnest($2::text[]) q", [WAKEUP_CHANNEL, unique]);
}
