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

/**
 * The data path as the platform's consumers read it (the measurement ingesters and the alarm service): the data
 * messages bridged in one turn of the event loop go out as one readings.bridged message (in the order they were
 * bridged), one queue entry per turn instead of one per data message. `add` resolves once that message is
 * confirmed; the publish handler PUBACKs a data publish only after this resolved. Mandatory: if no queue took it
 * (a broker without the platform's queues), the publish fails and the devices get no PUBACK.
 */
export class BridgedReadings {
  #bodies: Buffer[] = [];
  #waiters: Waiter[] = [];
  #bytes = 0;
  #scheduled = false;

  constructor(
    private readonly o: {
      publisher: Publisher;
      newId: () => string;
      /** When the turn's messages go: after the I/O of this turn (setImmediate). Injectable for tests. */
      schedule?: (flush: () => void) => void;
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
        (this.o.schedule ?? setImmediate)(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
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
