import type { Bus, Subscription } from "@sensorstream/bus";
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

/** Outbound messages waiting in the replica's queue before the oldest is dropped (best effort, see below). */
const REPLICA_QUEUE_MAX_LENGTH = 100_000;

/**
 * A queue of this replica's own (not shared: every replica must see every message), bound to the given keys: a
 * transient queue of the Bus port, so it lives as long as this replica's bus connection, is declared again on every
 * reconnect, and never outlives a crashed replica. Delivery is best effort by design (ARCHITECTURE.md): the owner of
 * each record keeps it and sends again, and the gateway re-checks what it may have missed (onRebound). Each message
 * is acked as it is handed over: it is handled once, an invalid one is counted and dropped, and there is nothing to
 * dead-letter.
 */
export class ReplicaQueue {
  #sub: Subscription | undefined;
  #bound = 0;

  constructor(
    private readonly bus: Bus,
    private readonly o: ReplicaQueueOptions,
  ) {}

  get ready(): boolean {
    return this.#sub?.ready === true;
  }

  async attach(): Promise<void> {
    await this.bus.declare([
      {
        name: this.o.name,
        bindings: this.o.bindings,
        maxLength: REPLICA_QUEUE_MAX_LENGTH,
        deliveryLimit: 1,
        transient: true,
      },
    ]);
    this.#sub = await this.bus.consume({
      queue: this.o.name,
      prefetch: 1_000,
      onMessage: (d) => {
        d.ack();
        this.o.onMessage(d.routingKey, d.content);
      },
      onSubscribed: () => {
        if (this.#bound++ > 0) this.o.onRebound?.();
      },
    });
  }
}
