import { DEAD_LETTER_EXCHANGE, EXCHANGE } from "@sensorstream/contracts";
import { DEAD_LETTER_QUEUE, type QueueSpec, retiredKeys } from "../topology.js";
import { SESSION_OF } from "./schema.js";
import type { Queryable } from "./sql.js";

/** The sessions whose backends are alive (a transient queue's owner, a held message's consumer). */
export const LIVE_SESSIONS = `SELECT ${SESSION_OF} FROM pg_stat_activity WHERE backend_start IS NOT NULL`;

type Settings = {
  max_length: number;
  overflow: "reject-publish" | "drop-head";
  delivery_limit: number | null;
  dead_letter_exchange: string | null;
  owner: string | null;
};

const settingsOf = (q: QueueSpec, session: string): Settings =>
  q.transient
    ? {
        max_length: q.maxLength,
        overflow: "drop-head",
        delivery_limit: null,
        dead_letter_exchange: null,
        owner: session,
      }
    : q.overflow === "drop-head"
      ? {
          max_length: q.maxLength,
          overflow: "drop-head",
          delivery_limit: q.deliveryLimit,
          dead_letter_exchange: null,
          owner: null,
        }
      : {
          max_length: q.maxLength,
          overflow: "reject-publish",
          delivery_limit: q.deliveryLimit,
          dead_letter_exchange: DEAD_LETTER_EXCHANGE,
          owner: null,
        };

/**
 * Declares the dead-letter queue and the given queues with their bindings, in the caller's transaction. As on
 * RabbitMQ: idempotent, a queue's arguments cannot change (PRECONDITION_FAILED), and a transient queue belongs to
 * the session that declared it (RESOURCE_LOCKED for another live one; a dead owner's queue is taken over afresh).
 * A queue's retired bindings are deleted (none there is fine).
 */
export async function declareQueues(db: Queryable, queues: QueueSpec[], session: string): Promise<void> {
  await upsert(db, DEAD_LETTER_QUEUE, {
    max_length: 1_000_000,
    overflow: "drop-head",
    delivery_limit: null,
    dead_letter_exchange: null,
    owner: null,
  });
  await bind(db, DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, ["#"]);
  for (const q of queues) {
    await upsert(db, q.name, settingsOf(q, session));
    await bind(db, EXCHANGE, q.name, q.bindings);
    await unbind(db, EXCHANGE, q.name, retiredKeys(q));
  }
}

async function upsert(db: Queryable, name: string, s: Settings): Promise<void> {
  const insert = () =>
    db.query(
      `INSERT INTO bus.queues (name, max_length, overflow, delivery_limit, dead_letter_exchange, owner)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING`,
      [name, s.max_length, s.overflow, s.delivery_limit, s.dead_letter_exchange, s.owner],
    );
  // Insert first: two processes declaring the same queue at once both succeed (the second finds it there).
  if ((await insert()).rowCount === 1) return;
  const { rows } = await db.query<Settings & { alive: boolean }>(
    `SELECT max_length::float8 AS max_length, overflow, delivery_limit, dead_letter_exchange, owner,
            owner IN (${LIVE_SESSIONS}) AS alive
     FROM bus.queues WHERE name = $1 FOR UPDATE`,
    [name],
  );
  const was = rows[0];
  if (!was) return insert().then(() => undefined);
  if (s.owner !== null && was.owner !== null && was.owner !== s.owner) {
    if (was.alive) throw new Error(`RESOURCE_LOCKED: queue ${name} is another connection's transient queue`);
    await db.query("DELETE FROM bus.queues WHERE name = $1", [name]);
    await insert();
    return;
  }
  const same =
    was.max_length === s.max_length &&
    was.overflow === s.overflow &&
    was.delivery_limit === s.delivery_limit &&
    was.dead_letter_exchange === s.dead_letter_exchange &&
    (was.owner === null) === (s.owner === null);
  if (!same) throw new Error(`PRECONDITION_FAILED: queue ${name} exists with other arguments`);
}

async function bind(db: Queryable, exchange: string, queue: string, patterns: readonly string[]): Promise<void> {
  await db.query(
    `INSERT INTO bus.bindings (exchange, queue, pattern) SELECT $1, $2, p FROM unnest($3::text[]) p
     ON CONFLICT DO NOTHING`,
    [exchange, queue, patterns],
  );
}

async function unbind(db: Queryable, exchange: string, queue: string, patterns: readonly string[]): Promise<void> {
  if (patterns.length === 0) return;
  await db.query("DELETE FROM bus.bindings WHERE exchange = $1 AND queue = $2 AND pattern = ANY($3::text[])", [
    exchange,
    queue,
    patterns,
  ]);
}
