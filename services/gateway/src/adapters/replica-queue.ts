import type { BusConnection } from "@sensorstream/bus";
import { EXCHANGE } from "@sensorstream/contracts";
import type { Logger } from "@sensorstream/runtime";

export type ReplicaQueueOptions = {
  /** Unique per replica, e.g. gateway.<gateway id>. */
  name: string;
  /** Routing keys on the sensor_streaming exchange this replica must see, every one of them. */
  bindings: readonly string[];
  logger: Logger;
  onMessage: (routingKey: string, content: Buffer) => void;
  /** The queue was declared again after a lost connection: whatever was published meanwhile was missed. */
  onRebound?: () => void;
};

/**
 * A queue of this replica's own (not shared: every replica must see every message), bound to the given keys.
 * Non-durable, exclusive and auto-deleted: it lives as long as this replica's AMQP connection, is declared again on
 * every reconnect, and never outlives a crashed replica. Delivery is best effort by design (ARCHITECTURE.md): the
 * owner of each record keeps it and sends again, and the gateway re-checks what it may have missed (onRebound).
 * It sits on BusConnection rather than the Bus port's consume pipeline because the port declares only durable,
 * dead-lettered quorum queues (the port could grow a per-replica queue kind). Consumed without acks: a message is
 * handled once, an invalid one is counted and dropped, and there is nothing to dead-letter.
 */
export class ReplicaQueue {
  #ready = false;
  #bound = 0;

  constructor(
    private readonly bus: BusConnection,
    private readonly o: ReplicaQueueOptions,
  ) {}

  get ready(): boolean {
    return this.#ready;
  }

  async attach(): Promise<void> {
    await this.bus.addSetup(async (conn) => {
      const ch = await conn.createChannel();
      ch.on("error", (err: Error) => this.o.logger.warn({ err, queue: this.o.name }, "replica queue channel error"));
      ch.on("close", () => {
        this.#ready = false;
      });
      await ch.assertExchange(EXCHANGE, "topic", { durable: true });
      await ch.assertQueue(this.o.name, { durable: false, exclusive: true, autoDelete: true });
      for (const key of this.o.bindings) await ch.bindQueue(this.o.name, EXCHANGE, key);
      await ch.consume(
        this.o.name,
        (msg) => {
          if (msg) this.o.onMessage(msg.fields.routingKey, msg.content);
        },
        { noAck: true },
      );
      this.#ready = true;
      if (this.#bound++ > 0) this.o.onRebound?.();
    });
  }
}
