import { bridgedReadingsBody, READINGS_BRIDGED_ROUTING_KEY } from "@sensorstream/contracts";
import type { Publisher } from "./gateway-bus.js";

type Waiter = { resolve: () => void; reject: (err: unknown) => void };

/** A readings.bridged message holds at most this many data messages… */
const MAX_MESSAGES = 512;
/** …and about this many bytes (one data message is at most MAX_PAYLOAD_BYTES-ish on its own). */
const MAX_BYTES = 512 * 1024;

/**
 * The alarm service's copy of the data path: the data messages bridged in one turn of the event loop go out as one
 * readings.bridged message (in the order they were bridged), instead of a second queue entry per message. `add`
 * resolves once that message is confirmed; the publish handler PUBACKs a data publish only after both its own
 * `.data` publish and this resolved. Not mandatory: with no alarm service bound, nobody needs it.
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
    this.o.publisher.publish(READINGS_BRIDGED_ROUTING_KEY, body, { messageId: this.o.newId(), mandatory: false }).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
  }
}
