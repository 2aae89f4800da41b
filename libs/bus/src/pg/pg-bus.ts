import { type Logger, type Registry, sleep } from "@sensorstream/runtime";
import pg from "pg";
import { ConnectedWaiters } from "../connected-waiters.js";
import { type DeadLetter, DeadLetterPublisher } from "../dead-letter.js";
import type { LogReader, LogSpec, ReadLogOptions } from "../log.js";
import type { Bus, ConsumeOptions, Subscription } from "../port.js";
import { PublishError, type PublishOptions } from "../publisher.js";
import type { QueueSpec } from "../topology.js";
import { declareQueues } from "./declare.js";
import { declareLogRow, logWakeup, PgLogReader } from "./logs.js";
import { PgPublisher } from "./publisher.js";
import { deadLetterMessages, returnMessages } from "./returns.js";
import { ensureBusSchema, SESSION_OF, TOPOLOGY_CHANNEL, WAKEUP_CHANNEL } from "./schema.js";
import { inTransaction } from "./sql.js";
import { PgSubscription } from "./subscription.js";
import { sweep } from "./sweep.js";
import { PgTopology } from "./topology.js";

export type PgBusOptions = {
  /** The PostgreSQL database the bus lives in (schema `bus`). */
  url: string;
  /** Shows in pg_stat_activity as application_name sensorstream-bus:<name>. */
  name: string;
  logger: Logger;
  registry: Registry;
  /** How long a publish waits for a lost connection to come back before failing as "unavailable" (default 5 s). */
  waitForConnectionMs?: number;
  /** The fallback poll and the sweep of dead sessions' messages, in ms (default 1000). */
  pollMs?: number;
};

/**
 * The Bus port on PostgreSQL: the embedded bus of `npm start` on a machine without RabbitMQ. Queues, bindings and
 * messages are rows in schema `bus`; routing is RabbitMQ's topic matching; a publish resolves after its commit;
 * consumers lock messages to their session with FOR UPDATE SKIP LOCKED and delete them on ack; messages held by a
 * session that is gone (its backend ended: a crash, kill -9, a dropped connection) are returned, redelivered,
 * and dead-lettered past the queue's delivery limit. Wakeups ride LISTEN/NOTIFY, with a poll as a fallback.
 * The same conformance suite as RabbitBus and MemoryBus holds it to the contract.
 */
export class PgBus implements Bus {
  readonly #opts: PgBusOptions;
  readonly #pool: pg.Pool;
  readonly #topology = new PgTopology();
  readonly #publisher: PgPublisher;
  readonly #deadLetters: DeadLetterPublisher;
  readonly #specs = new Map<string, QueueSpec>();
  readonly #subs = new Set<PgSubscription>();
  readonly #logs = new Map<string, LogSpec>();
  readonly #readers = new Set<PgLogReader>();
  readonly #waiters = new ConnectedWaiters(() => this.connected);
  readonly #acks = new Map<string, string[]>();
  #acking: Promise<void> | undefined;
  #ackFlight: Promise<void> = Promise.resolve();
  #listener: pg.Client | undefined;
  #session: string | undefined;
  #connecting: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;

  constructor(opts: PgBusOptions) {
    this.#opts = opts;
    this.#pool = new pg.Pool({
      connectionString: opts.url,
      max: 4,
      application_name: `sensorstream-bus:${opts.name}`,
    });
    // An idle client whose backend ended: the pool drops it; the next query opens another.
    this.#pool.on("error", (err) => opts.logger.debug({ err }, "embedded bus: idle connection lost"));
    this.#publisher = new PgPublisher(this.#pool, this.#topology);
    this.#deadLetters = new DeadLetterPublisher(this, opts.registry);
  }

  get connected(): boolean {
    return this.#session !== undefined && !this.#closed;
  }

  /** This bus's session (pid:backend start of its LISTEN connection), while connected. */
  get session(): string | undefined {
    return this.#session;
  }

  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    void this.#connectLoop();
    this.#timer = setInterval(() => void this.#tick(), this.#opts.pollMs ?? 1_000);
    this.#timer.unref();
  }

  async declare(queues: readonly QueueSpec[]): Promise<void> {
    for (const q of queues) this.#specs.set(q.name, q);
    const session = this.#session;
    if (session) await this.#declare(queues, session);
  }

  async publish(routingKey: string, content: Buffer, options: PublishOptions): Promise<void> {
    const waitMs = this.#opts.waitForConnectionMs ?? 5_000;
    if (this.#closed) throw new PublishError("closed", "the bus is closed");
    if (!this.connected && !(await this.waitConnected(waitMs))) {
      throw new PublishError(this.#closed ? "closed" : "unavailable", "the embedded bus is unavailable");
    }
    await this.#publisher.publish(routingKey, content, options, waitMs);
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    await this.#deadLetters.publish(letter);
  }

  async consume(options: ConsumeOptions): Promise<Subscription> {
    const sub = new PgSubscription(options, {
      pool: this.#pool,
      logger: this.#opts.logger,
      ack: (session, id) => this.#ack(session, id),
      nack: (session, id, requeue) => this.#nack(session, id, requeue),
      release: (s, session) => this.#release(s, session),
    });
    this.#subs.add(sub);
    if (this.#session) sub.open(this.#session);
    return sub;
  }

  async declareLog(spec: LogSpec): Promise<void> {
    this.#logs.set(spec.name, spec);
    if (this.#session) await this.#declare([], this.#session);
  }

  async readLog(o: ReadLogOptions): Promise<LogReader> {
    if (!this.connected && !(await this.waitConnected(this.#opts.waitForConnectionMs ?? 5_000))) {
      throw new Error("the embedded bus is unavailable");
    }
    const reader = new PgLogReader({
      ...o,
      pool: this.#pool,
      logger: this.#opts.logger,
      connected: () => this.connected,
      onClose: (r) => this.#readers.delete(r),
    });
    await reader.start();
    this.#readers.add(reader);
    return reader;
  }

  /** Resolves when connected, or false after timeoutMs. */
  waitConnected(timeoutMs: number): Promise<boolean> {
    return this.#waiters.wait(timeoutMs);
  }

  /** Closes the subscriptions (unacked messages return to their queues), drops this bus's transient queues. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#publisher.drain();
    await Promise.all([...this.#subs].map((s) => s.close().catch(() => {})));
    await Promise.all([...this.#readers].map((r) => r.close().catch(() => {})));
    await this.#flushAcks().catch(() => {});
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    const session = this.#session;
    this.#session = undefined;
    if (session) {
      await this.#pool.query("DELETE FROM bus.queues WHERE owner = $1", [session]).catch(() => {});
    }
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => {});
    await this.#pool.end().catch(() => {});
    this.#waiters.wake();
  }

  async #connectLoop(): Promise<void> {
    if (this.#connecting) return this.#connecting;
    this.#connecting = (async () => {
      let failures = 0;
      while (!this.#closed && !this.#session) {
        try {
          await this.#connect();
        } catch (err) {
          if (failures++ % 20 === 0) this.#opts.logger.warn({ err }, "embedded bus: cannot reach PostgreSQL, retrying");
          await sleep(250);
        }
      }
    })().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#opts.url,
      application_name: `sensorstream-bus:${this.#opts.name}`,
    });
    client.on("error", (err) => this.#lost(client, err));
    client.on("end", () => this.#lost(client));
    await client.connect();
    try {
      await ensureBusSchema(client);
      const { rows } = await client.query<{ session: string }>(
        `SELECT ${SESSION_OF} AS session FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
      );
      const session = rows[0]?.session;
      if (!session) throw new Error("embedded bus: no session for this connection");
      client.on("notification", (n) => this.#notified(n.channel, n.payload));
      await client.query(`LISTEN ${WAKEUP_CHANNEL}`);
      await client.query(`LISTEN ${TOPOLOGY_CHANNEL}`);
      await this.#declare([...this.#specs.values()], session);
      if (this.#closed) throw new Error("closed");
      this.#listener = client;
      this.#session = session;
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    await this.#sweep();
    for (const sub of this.#subs) sub.open(this.#session);
    for (const r of this.#readers) r.wake();
    this.#waiters.wake();
  }

  #lost(client: pg.Client, err?: Error): void {
    if (this.#listener !== client) return;
    this.#opts.logger.warn({ err }, "embedded bus: connection lost, reconnecting");
    this.#listener = undefined;
    this.#session = undefined;
    client.end().catch(() => {});
    for (const sub of this.#subs) sub.lost();
    this.#acks.clear();
    if (!this.#closed) void this.#connectLoop();
  }

  async #declare(queues: readonly QueueSpec[], session: string): Promise<void> {
    await inTransaction(this.#pool, async (c) => {
      await declareQueues(c, [...queues], session);
      for (const log of this.#logs.values()) await declareLogRow(c, log);
      await c.query("SELECT pg_notify($1, '')", [TOPOLOGY_CHANNEL]);
    });
    await this.#topology.load(this.#pool);
  }

  #notified(channel: string, payload: string | undefined): void {
    if (channel === WAKEUP_CHANNEL) {
      for (const sub of this.#subs) if (sub.options.queue === payload) sub.wake();
      for (const r of this.#readers) if (logWakeup(r.log) === payload) r.wake();
    } else if (channel === TOPOLOGY_CHANNEL) {
      this.#topology.load(this.#pool).catch(() => {});
    }
  }

  async #tick(): Promise<void> {
    if (!this.#session || this.#closed) return;
    await this.#sweep();
    for (const sub of this.#subs) sub.wake();
    for (const r of this.#readers) r.wake();
  }

  async #sweep(): Promise<void> {
    await sweep(this.#pool, this.#topology).catch((err: unknown) =>
      this.#opts.logger.warn({ err }, "embedded bus: sweep failed"),
    );
  }

  /** Acks are deleted in batches: one statement per tick for every ack of that tick. */
  #ack(session: string, id: string): void {
    const ids = this.#acks.get(session) ?? [];
    ids.push(id);
    this.#acks.set(session, ids);
    this.#acking ??= new Promise<void>((r) => setImmediate(r)).then(() => this.#flushAcks());
  }

  /** Deletes the acked messages; each flush runs after the one before it, so "flushed" means "deleted". */
  #flushAcks(): Promise<void> {
    this.#acking = undefined;
    const batches = [...this.#acks];
    this.#acks.clear();
    const run = this.#ackFlight.then(() => this.#deleteAcked(batches));
    this.#ackFlight = run.catch(() => {});
    return run;
  }

  async #deleteAcked(batches: Array<[string, string[]]>): Promise<void> {
    for (const [session, ids] of batches) {
      // locked_by: an ack for a message this session no longer holds (it was returned) deletes nothing.
      await this.#pool
        .query("DELETE FROM bus.messages WHERE id = ANY($1::bigint[]) AND locked_by = $2", [ids, session])
        .catch((err: unknown) => this.#opts.logger.warn({ err }, "embedded bus: ack failed (will be redelivered)"));
    }
  }

  async #nack(session: string, id: string, requeue: boolean): Promise<void> {
    await this.#flushAcks();
    await inTransaction(this.#pool, async (c) => {
      if (requeue) await returnMessages(c, this.#topology, "id = $1 AND locked_by = $2", [id, session]);
      else {
        const held = await c.query("SELECT 1 FROM bus.messages WHERE id = $1 AND locked_by = $2", [id, session]);
        if (held.rowCount) await deadLetterMessages(c, this.#topology, [id], "rejected");
      }
    });
  }

  /** A consumer closes: its acks first, then what it still holds goes back; a transient queue goes with its last consumer. */
  async #release(sub: PgSubscription, session: string): Promise<void> {
    this.#subs.delete(sub);
    await this.#flushAcks();
    await inTransaction(this.#pool, (c) =>
      returnMessages(c, this.#topology, "locked_by = $1 AND consumer = $2", [session, sub.tag]),
    ).catch((err: unknown) => this.#opts.logger.warn({ err }, "embedded bus: could not return unacked messages"));
    const queue = sub.options.queue;
    const others = [...this.#subs].some((s) => s.options.queue === queue);
    if (this.#specs.get(queue)?.transient && !others) {
      await this.#pool.query("DELETE FROM bus.queues WHERE name = $1 AND owner = $2", [queue, session]).catch(() => {});
      await this.#pool.query("SELECT pg_notify($1, '')", [TOPOLOGY_CHANNEL]).catch(() => {});
      await this.#topology.load(this.#pool).catch(() => {});
    }
  }
}
