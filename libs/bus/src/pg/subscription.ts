import { randomUUID } from "node:crypto";
import type { Logger } from "@sensorstream/runtime";
import type pg from "pg";
import type { Delivery } from "../consumer.js";
import type { ConsumeOptions, Subscription } from "../port.js";

type Row = {
  id: string;
  routing_key: string;
  message_id: string | null;
  headers: Record<string, unknown>;
  content: Buffer;
  returned: number;
};

/** One "channel": the session it holds messages under, and what it was handed and has not settled yet. */
type Channel = { open: boolean; session: string; unacked: Set<string> };

/** What a subscription needs from its bus. */
export type SubscriptionHost = {
  pool: pg.Pool;
  logger: Logger;
  ack(session: string, id: string): void;
  nack(session: string, id: string, requeue: boolean): Promise<void>;
  /** Returns what this consumer holds (it closes) and, for a transient queue, lets it go with its last consumer. */
  release(sub: PgSubscription, session: string): Promise<void>;
};

const FETCH = `
UPDATE bus.messages m SET locked_by = $2, consumer = $3
WHERE m.id IN (
  SELECT id FROM bus.messages WHERE queue = $1 AND locked_by IS NULL ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
RETURNING m.id, m.routing_key, m.message_id, m.headers, m.content, m.returned`;

/**
 * A consumer of one queue of the embedded bus. It takes up to `prefetch` ready messages at a time, locking them to
 * its session (FOR UPDATE SKIP LOCKED: competing consumers in any process split the queue), and asks for more when
 * woken (NOTIFY from a publish, an ack that made room, or the bus's poll).
 */
export class PgSubscription implements Subscription {
  readonly tag = randomUUID();
  #channel: Channel | undefined;
  #paused = false;
  #closed = false;
  #fetching: Promise<void> | undefined;
  #again = false;

  constructor(
    readonly options: ConsumeOptions,
    private readonly host: SubscriptionHost,
  ) {}

  get ready(): boolean {
    return this.#channel?.open === true;
  }

  /** The bus is connected (again) under this session. */
  open(session: string): void {
    if (this.#closed) return;
    this.#channel = { open: true, session, unacked: new Set() };
    this.options.onSubscribed?.();
    this.wake();
  }

  /** The connection went: what this channel held will come again (the sweeper returns a dead session's messages). */
  lost(): void {
    const ch = this.#channel;
    if (!ch) return;
    ch.open = false;
    this.#channel = undefined;
    this.options.onChannelLost?.();
  }

  pause(): void {
    this.#paused = true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const ch = this.#channel;
    this.#channel = undefined;
    if (!ch) return;
    ch.open = false;
    // A fetch under way may still lock messages to this consumer: release after it.
    await this.#fetching;
    await this.host.release(this, ch.session);
  }

  /** Takes more messages when there is room; a wake during a fetch runs another one after it. */
  wake(): void {
    if (this.#fetching) {
      this.#again = true;
      return;
    }
    this.#fetching = this.#fetchLoop();
  }

  async #fetchLoop(): Promise<void> {
    try {
      do {
        this.#again = false;
        await this.#fetchOnce().catch((err: unknown) => {
          this.host.logger.warn({ err, queue: this.options.queue }, "embedded bus: fetch failed");
        });
      } while (this.#again);
    } finally {
      // In the same synchronous step as the last check of #again: a wake after it starts a new loop.
      this.#fetching = undefined;
    }
  }

  async #fetchOnce(): Promise<void> {
    const ch = this.#channel;
    if (!ch?.open || this.#paused || this.#closed) return;
    const room = this.options.prefetch - ch.unacked.size;
    if (room <= 0) return;
    const { rows } = await this.host.pool.query<Row>(FETCH, [this.options.queue, ch.session, this.tag, room]);
    // Lost meanwhile: what was just locked belongs to a dead session and the sweeper returns it; closed: close()
    // releases it; paused: it stays held until close, as unacked deliveries do.
    if (!ch.open || this.#paused || this.#closed) return;
    for (const r of rows.sort((a, b) => Number(a.id) - Number(b.id))) {
      ch.unacked.add(r.id);
      this.options.onMessage(this.#delivery(ch, r));
    }
    if (rows.length === room) this.#again = true;
  }

  #delivery(ch: Channel, r: Row): Delivery {
    let settled = false;
    const settle = (): boolean => {
      if (settled || !ch.open) return false;
      settled = true;
      ch.unacked.delete(r.id);
      return true;
    };
    return {
      content: r.content,
      routingKey: r.routing_key,
      messageId: r.message_id ?? undefined,
      headers: r.returned > 0 ? { ...r.headers, "x-delivery-count": r.returned } : r.headers,
      redelivered: r.returned > 0,
      live: () => ch.open,
      ack: () => {
        if (!settle()) return;
        this.host.ack(ch.session, r.id);
        this.wake();
      },
      nack: (requeue) => {
        if (!settle()) return;
        this.host.nack(ch.session, r.id, requeue).then(
          () => this.wake(),
          (err: unknown) => this.host.logger.warn({ err, queue: this.options.queue }, "embedded bus: nack failed"),
        );
      },
    };
  }
}
