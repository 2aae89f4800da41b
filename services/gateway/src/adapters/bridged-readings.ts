import { bridgedReadingsBody, READINGS_BRIDGED_ROUTING_KEY } from "@sensorstream/contracts";
import type { Publisher } from "./gateway-bus.js";

type Waiter = { resolve: () => void; reject: (err: unknown) => void };

/** A readings.bridged message holds at most this many data messages… */
const MAX_MESSAGES = 512;
/**
 * …and about this many bytes (a larger data message, up to MAX_PAYLOAD_BYTES, goes alone). It bounds what a consumer's
 * prefetch holds: PREFETCH deliveries of at most max(64 KiB, MAX_PAYLOAD_BYTES), as with single data messages.
 */
const MAX_BYTES = 64 * 1024;
/** A turn that bridged at least this many data messages publishes them at once: a queue entry is well shared. */
const ENOUGH_PER_TURN = 16;

/**
 * The data path as the platform's consumers read it (the measurement ingesters and the alarm service): the data
 * messages bridged in one turn of the event loop go out as one readings.bridged message, in the order they were
 * bridged: one queue entry for many data messages instead of one each. A turn that brought fewer than
 * ENOUGH_PER_TURN (a fleet of many sensors, each publishing now and then) waits up to `lingerMs` (BRIDGED_LINGER_MS)
 * from its end for the next turns' to join; 0: every turn goes alone. `add` resolves once that message is confirmed;
 * the publish handler PUBACKs a data publish only after this resolved. Mandatory: if no queue took it (a broker
 * without the platform's queues), the publish fails and the devices get no PUBACK.
 */
export class BridgedReadings {
  #bodies: Buffer[] = [];
  #waiters: Waiter[] = [];
  #bytes = 0;
  #scheduled = false;
  /** Counts the messages cut so far: a scheduled flush meant for one already cut (it was full) does nothing. */
  #cuts = 0;

  constructor(
    private readonly o: {
      publisher: Publisher;
      newId: () => string;
      /** How long the messages of a turn that brought few wait for others to join them (0: not at all). */
      lingerMs?: number;
      /** When a turn's I/O is done (default setImmediate). Injectable for tests. */
      schedule?: (turnEnded: () => void) => void;
    },
  ) {}

  add(dataMessage: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#bodies.push(dataMessage);
      this.#waiters.push({ resolve, reject });
      this.#bytes += dataMessage.byteLength;
      if (this.#bodies.length >= MAX_MESSAGES || this.#bytes >= MAX_BYTES) {
        this.#flush();
      } else if (!this.#scheduled) {
        this.#scheduled = true;
        const cut = this.#cuts;
        (this.o.schedule ?? setImmediate)(() => this.#turnEnded(cut));
      }
    });
  }

  #turnEnded(cut: number): void {
    if (cut !== this.#cuts) return;
    const linger = this.o.lingerMs ?? 0;
    if (linger === 0 || this.#bodies.length >= ENOUGH_PER_TURN) {
      this.#flush();
      return;
    }
    setTimeout(() => {
      if (cut === this.#cuts) this.#flush();
    }, linger);
  }

  #flush(): void {
    this.#scheduled = false;
    this.#cuts++;
    if (this.#bodies.length === 0) return;
    const body = bridgedReadingsBody(this.#bodies);
    const waiters = this.#waiters;
    this.#bodies = [];
    this.#waiters = [];
    this.#bytes = 0;
    this.o.publisher.publish(READINGS_BRIDGED_ROUTING_KEY, body, { messageId: this.o.newId() }).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
  }
}
