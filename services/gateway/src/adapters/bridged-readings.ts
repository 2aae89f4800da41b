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
 * messages bridged within `lingerMs` of the first (BRIDGED_LINGER_MS; 0: within one turn of the event loop) go out as
 * one readings.bridged message, in the order they were bridged: one queue entry for many data messages instead of one
 * each. A fleet of many sensors each publishing now and then brings few messages per turn, so the linger is what
 * keeps the entries few there. `add` resolves once that message is confirmed; the publish handler PUBACKs a data
 * publish only after this resolved. Mandatory: if no queue took it (a broker without the platform's queues), the
 * publish fails and the devices get no PUBACK.
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
      /** How long a message waits for others to join it (0: until the I/O of this turn is done, setImmediate). */
      lingerMs?: number;
      /** When the collected messages go, in place of the linger. Injectable for tests. */
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
        const cut = this.#cuts;
        const flush = () => {
          if (cut === this.#cuts) this.#flush();
        };
        const linger = this.o.lingerMs ?? 0;
        if (this.o.schedule) this.o.schedule(flush);
        else if (linger > 0) setTimeout(flush, linger);
        else setImmediate(flush);
      }
    });
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
