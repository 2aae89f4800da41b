import { EXCHANGE } from "@sensorstream/contracts";
import type pg from "pg";
import { PublishError, type PublishOptions, publishHeaders } from "../publisher.js";
import { type Append, appendEntries } from "./logs.js";
import { notifyQueues } from "./returns.js";
import { inTransaction, isConnectionError, type Queryable } from "./sql.js";
import type { PgTopology, QueueRow } from "./topology.js";

type Pending = {
  routingKey: string;
  content: Buffer;
  o: PublishOptions;
  deadline: number;
  resolve: () => void;
  reject: (err: Error) => void;
};

/** Queues up to this long are counted exactly on every publish; longer ones from a count at most a second old. */
const EXACT_COUNT_UP_TO = 10_000;
const DEPTH_TTL_MS = 1_000;
/** Publishes written in one transaction at most (group commit). */
const BATCH = 500;

/**
 * Publishes into the embedded bus. A publish resolves only after the transaction holding its rows has committed (so
 * a PUBACK sent on it still means "durable"). Concurrent publishes share one transaction (group commit): that is
 * where the throughput comes from, since each commit waits for the WAL to reach the disk.
 */
export class PgPublisher {
  readonly #pending: Pending[] = [];
  #flushing: Promise<void> | undefined;
  readonly #depth = new Map<string, { n: number; at: number }>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly topology: PgTopology,
  ) {}

  publish(routingKey: string, content: Buffer, o: PublishOptions, waitMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ routingKey, content, o, deadline: Date.now() + waitMs, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  /** Resolves once every publish made so far is settled. */
  async drain(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, BATCH);
        await this.#writeWithRetry(batch);
      }
    } finally {
      // In the same synchronous step as the last emptiness check: a publish after it starts a new flush.
      this.#flushing = undefined;
    }
  }

  async #writeWithRetry(batch: Pending[]): Promise<void> {
    let reloaded = false;
    for (;;) {
      try {
        const errors = await inTransaction(this.pool, (c) => this.#write(c, batch, reloaded));
        batch.forEach((p, i) => {
          const err = errors[i];
          if (err) p.reject(err);
          else p.resolve();
        });
        return;
      } catch (err) {
        // A queue went away under us (a transient queue whose owner closed): route again on fresh topology.
        if ((err as { code?: string }).code === "23503" && !reloaded) {
          await this.topology.load(this.pool).catch(() => {});
          reloaded = true;
          continue;
        }
        const now = Date.now();
        const late = batch.filter((p) => p.deadline <= now || !isConnectionError(err));
        for (const p of late) {
          const code = isConnectionError(err) ? "unavailable" : "nacked";
          p.reject(new PublishError(code, `the embedded bus could not store the message: ${(err as Error).message}`));
        }
        batch = batch.filter((p) => !late.includes(p));
        if (batch.length === 0) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Writes what can be written; returns each publish's error (or undefined) in order. */
  async #write(db: Queryable, batch: Pending[], reloaded: boolean): Promise<Array<PublishError | undefined>> {
    const route = (p: Pending) => this.topology.route(p.o.exchange ?? EXCHANGE, p.routingKey);
    const logsOf = (p: Pending) => this.topology.routeLogs(p.o.exchange ?? EXCHANGE, p.routingKey);
    const mandatoryUnrouted = (p: Pending) =>
      (p.o.mandatory ?? true) && route(p).length === 0 && logsOf(p).length === 0;
    if (!reloaded && batch.some(mandatoryUnrouted)) await this.topology.load(db);
    const added = new Map<string, number>();
    const rows: Array<{ q: QueueRow; p: Pending; headers: string }> = [];
    const errors: Array<PublishError | undefined> = [];
    const appends: Append[] = [];
    for (const p of batch) {
      const exchange = p.o.exchange ?? EXCHANGE;
      const targets = route(p);
      const logs = logsOf(p);
      if (targets.length === 0 && logs.length === 0 && (p.o.mandatory ?? true)) {
        errors.push(new PublishError("unroutable", `no queue is bound for ${exchange}/${p.routingKey}`));
        continue;
      }
      const headers = JSON.stringify(publishHeaders(p.o) ?? {});
      for (const log of logs) {
        appends.push({ log, routingKey: p.routingKey, messageId: p.o.messageId, headers, content: p.content });
      }
      let refused = false;
      for (const q of targets) {
        // As a quorum queue: only ready messages count, checked before one joins (so it may hold maxLength + 1).
        if (q.overflow === "reject-publish") {
          const depth = (await this.#depthOf(db, q)) + (added.get(q.name) ?? 0);
          if (depth > q.max_length) {
            refused = true;
            continue;
          }
        }
        added.set(q.name, (added.get(q.name) ?? 0) + 1);
        rows.push({ q, p, headers });
      }
      errors.push(
        refused
          ? new PublishError("nacked", `a queue bound for ${p.routingKey} is full and refused the message`)
          : undefined,
      );
    }
    await appendEntries(db, appends);
    if (rows.length === 0) return errors;
    await db.query(
      `INSERT INTO bus.messages (queue, exchange, routing_key, message_id, headers, content)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::bytea[])`,
      [
        rows.map((r) => r.q.name),
        rows.map((r) => r.p.o.exchange ?? EXCHANGE),
        rows.map((r) => r.p.routingKey),
        rows.map((r) => r.p.o.messageId),
        rows.map((r) => r.headers),
        rows.map((r) => r.p.content),
      ],
    );
    for (const [name, n] of added) {
      const d = this.#depth.get(name);
      if (d) d.n += n;
      const q = this.topology.queues.get(name);
      if (q?.overflow === "drop-head" && q.max_length <= EXACT_COUNT_UP_TO) await trimHead(db, name, q.max_length);
    }
    await notifyQueues(db, [...added.keys()]);
    return errors;
  }

  /** Ready messages in a queue: exact for small queues, else a count at most DEPTH_TTL_MS old plus our own since. */
  async #depthOf(db: Queryable, q: QueueRow): Promise<number> {
    const cached = this.#depth.get(q.name);
    if (q.max_length > EXACT_COUNT_UP_TO && cached && Date.now() - cached.at < DEPTH_TTL_MS) return cached.n;
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM (SELECT 1 FROM bus.messages WHERE queue = $1 AND locked_by IS NULL LIMIT $2) s",
      [q.name, q.max_length + 1],
    );
    const n = rows[0]?.n ?? 0;
    this.#depth.set(q.name, { n, at: Date.now() });
    return n;
  }
}

/** drop-head: the oldest ready messages beyond maxLength go (transient and dead-letter queues). */
export async function trimHead(db: Queryable, queue: string, maxLength: number): Promise<void> {
  await db.query(
    `DELETE FROM bus.messages WHERE id IN (
       SELECT id FROM bus.messages WHERE queue = $1 AND locked_by IS NULL ORDER BY id DESC OFFSET $2)`,
    [queue, maxLength],
  );
}
