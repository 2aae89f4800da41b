import type { Logger } from "@sensorstream/runtime";
import type { Channel, ConsumeMessage } from "amqplib";
import type { BusConnection } from "./connection.js";

/** One message taken from a queue. ack/nack are no-ops once the channel it came on is gone. */
export type Delivery = {
  readonly content: Buffer;
  readonly routingKey: string;
  readonly messageId: string | undefined;
  readonly headers: Record<string, unknown>;
  readonly redelivered: boolean;
  /** False once the channel it came on has closed: it will be redelivered, so do not act on its ack. */
  readonly live: () => boolean;
  ack(): void;
  /** Returns the message to the queue (requeue) or hands it to the queue's dead-letter exchange. */
  nack(requeue: boolean): void;
};

export type ConsumerOptions = {
  queue: string;
  prefetch: number;
  logger: Logger;
  onMessage: (d: Delivery) => void;
  /** Called when the channel goes away; deliveries not yet acked will come again. */
  onChannelLost?: () => void;
  /** Called each time the subscription is in place (first time and after every reconnect). */
  onSubscribed?: () => void;
};

/**
 * Consumes a queue with manual acks and a prefetch window; re-subscribes after every reconnect.
 * The handler decides when to ack (after its effect is durable).
 */
export class QueueConsumer {
  readonly #bus: BusConnection;
  readonly #opts: ConsumerOptions;
  #channel: Channel | undefined;
  #tag: string | undefined;
  #stopped = false;

  constructor(bus: BusConnection, opts: ConsumerOptions) {
    this.#bus = bus;
    this.#opts = opts;
  }

  get ready(): boolean {
    return this.#channel !== undefined && this.#tag !== undefined;
  }

  async attach(): Promise<void> {
    await this.#bus.addSetup(async (conn) => {
      if (this.#stopped) return;
      const ch = await conn.createChannel();
      let open = true;
      ch.on("error", (err: Error) =>
        this.#opts.logger.warn({ err, queue: this.#opts.queue }, "consumer channel error"),
      );
      ch.on("close", () => {
        open = false;
        if (this.#channel === ch) {
          this.#channel = undefined;
          this.#tag = undefined;
          this.#opts.onChannelLost?.();
          if (!this.#stopped) this.#bus.drop(`consumer channel for ${this.#opts.queue} closed`);
        }
      });
      await ch.prefetch(this.#opts.prefetch);
      this.#channel = ch;
      const live = () => open;
      const window = new AckWindow((upTo) => {
        if (open) ch.ack({ fields: { deliveryTag: upTo } } as ConsumeMessage, true);
      });
      const { consumerTag } = await ch.consume(
        this.#opts.queue,
        (msg: ConsumeMessage | null) => {
          if (msg === null) {
            // The broker cancelled us (queue deleted): rebuild from scratch.
            this.#bus.drop(`queue ${this.#opts.queue} cancelled the consumer`);
            return;
          }
          if (this.#stopped) return;
          this.#opts.onMessage(toDelivery(ch, msg, live, window));
        },
        { noAck: false },
      );
      this.#tag = consumerTag;
      this.#opts.onSubscribed?.();
    });
  }

  /**
   * Stops handing new deliveries to the handler; those already handed out can still be acked.
   * Deliveries that arrive after pause() stay unacked and return to the queue when the channel closes.
   */
  pause(): void {
    this.#stopped = true;
  }

  /** Closes the channel: unacked deliveries return to the queue. */
  async close(): Promise<void> {
    this.#stopped = true;
    const ch = this.#channel;
    this.#channel = undefined;
    if (!ch) return;
    // Acks have no reply in AMQP 0-9-1: a synchronous round trip on the same channel first makes the
    // broker's channel process handle every ack sent before it (see AckWindow for why acks are few).
    await ch.checkQueue(this.#opts.queue).catch(() => {});
    // …and even then a quorum queue applies settlements asynchronously: closing at once returned most
    // of a just-acked batch to the queue in about one run in eight (RabbitMQ 3.10). They would only be
    // redelivered and deduplicated, but a short pause makes a drained shutdown really drained.
    await new Promise((r) => setTimeout(r, 250));
    await ch.close().catch(() => {});
  }
}

/**
 * Acks the contiguous run of settled deliveries with one `multiple` ack. Each ack becomes a settle
 * command in a quorum queue; on RabbitMQ 3.10 a burst of single acks followed by a channel close lost
 * most of them (the client buffers settles beyond a small window), so fewer, larger acks are both
 * cheaper and safer. A delivery settled out of order waits until the ones before it are settled.
 */
export class AckWindow {
  #floor: number;
  /** Settled tags above the floor: true = acked (needs an ack frame), false = nacked (already told). */
  readonly #settled = new Map<number, boolean>();

  constructor(
    private readonly sendAck: (upToTag: number) => void,
    firstTag = 1,
  ) {
    this.#floor = firstTag - 1;
  }

  settle(tag: number, acked: boolean): void {
    this.#settled.set(tag, acked);
    let needsAck = false;
    for (let next = this.#settled.get(this.#floor + 1); next !== undefined; next = this.#settled.get(this.#floor + 1)) {
      this.#settled.delete(this.#floor + 1);
      this.#floor++;
      needsAck ||= next;
    }
    // A multiple ack covers only deliveries still outstanding, so nacked tags inside the run are unaffected.
    if (needsAck) this.sendAck(this.#floor);
  }

  /** Settled deliveries still waiting for an earlier one before they can be acked. */
  get waiting(): number {
    return this.#settled.size;
  }
}

function toDelivery(ch: Channel, msg: ConsumeMessage, live: () => boolean, window: AckWindow): Delivery {
  let settled = false;
  const tag = msg.fields.deliveryTag;
  return {
    content: msg.content,
    routingKey: msg.fields.routingKey,
    messageId: msg.properties.messageId as string | undefined,
    headers: (msg.properties.headers ?? {}) as Record<string, unknown>,
    redelivered: msg.fields.redelivered,
    live,
    ack() {
      if (settled || !live()) return;
      settled = true;
      window.settle(tag, true);
    },
    nack(requeue: boolean) {
      if (settled || !live()) return;
      settled = true;
      ch.nack(msg, false, requeue);
      window.settle(tag, false);
    },
  };
}
