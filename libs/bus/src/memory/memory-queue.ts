import type { Delivery } from "../consumer.js";
import { Fifo } from "./fifo.js";

/** A message as a queue holds it. */
export type StoredMessage = {
  content: Buffer;
  exchange: string;
  routingKey: string;
  messageId: string | undefined;
  headers: Record<string, unknown>;
  /** Times it came back unacked (a nack with requeue, or its channel lost): RabbitMQ's x-delivery-count. */
  returned: number;
};

export type QueueSettings = {
  name: string;
  maxLength: number;
  overflow: "reject-publish" | "drop-head";
  /** Returns allowed before the message is dead-lettered; undefined = unlimited. */
  deliveryLimit: number | undefined;
  deadLetterExchange: string | undefined;
};

/** A consumer's channel: what it was handed and has not settled yet. */
export type MemoryChannel = {
  open: boolean;
  paused: boolean;
  prefetch: number;
  nextTag: number;
  unacked: Map<number, StoredMessage>;
  onMessage: (d: Delivery) => void;
};

/** Why a message leaves its queue for the dead-letter exchange (RabbitMQ's x-death reasons). */
export type DeathReason = "rejected" | "delivery_limit" | "maxlen";

/**
 * One queue: FIFO ready messages, round-robin over consumers with room in their prefetch window, returned messages
 * first in line again (as a quorum queue does), and dead-lettering past the delivery limit.
 */
export class MemoryQueue {
  readonly ready = new Fifo<StoredMessage>();
  readonly channels: MemoryChannel[] = [];
  #next = 0;

  constructor(
    readonly settings: QueueSettings,
    private readonly deadLetter: (m: StoredMessage, q: MemoryQueue, reason: DeathReason) => void,
  ) {}

  /** false when the queue is full and refuses publishes. */
  offer(m: StoredMessage): boolean {
    // Only ready messages count (those handed out do not), as in a RabbitMQ quorum queue; and, as there, the limit
    // is checked before a message joins, so reject-publish lets the queue reach maxLength + 1.
    if (this.settings.overflow === "reject-publish" && this.ready.length > this.settings.maxLength) return false;
    if (this.settings.overflow === "drop-head" && this.ready.length >= this.settings.maxLength) {
      const dropped = this.ready.shift();
      if (dropped && this.settings.deadLetterExchange) this.deadLetter(dropped, this, "maxlen");
    }
    this.ready.push(m);
    return true;
  }

  /** An unacked message comes back (nack with requeue, or its channel closed). */
  giveBack(messages: readonly StoredMessage[]): void {
    const back: StoredMessage[] = [];
    for (const m of messages) {
      m.returned++;
      const limit = this.settings.deliveryLimit;
      if (limit !== undefined && m.returned > limit) this.deadLetter(m, this, "delivery_limit");
      else back.push(m);
    }
    this.ready.unshift(...back);
  }

  /** Hands ready messages to consumers with room in their window. */
  dispatch(toDelivery: (ch: MemoryChannel, m: StoredMessage) => Delivery): void {
    for (;;) {
      const ch = this.#pick();
      const m = ch ? this.ready.shift() : undefined;
      if (!ch || !m) return;
      ch.onMessage(toDelivery(ch, m));
    }
  }

  #pick(): MemoryChannel | undefined {
    const n = this.channels.length;
    for (let i = 0; i < n; i++) {
      const ch = this.channels[(this.#next + i) % n] as MemoryChannel;
      if (ch.open && !ch.paused && ch.unacked.size < ch.prefetch) {
        this.#next = (this.#next + i + 1) % n;
        return ch;
      }
    }
    return undefined;
  }
}
