import { type Backoff, backoff, counter, gauge, type Logger, type Registry, sleep } from "@sensorstream/runtime";
import amqp, { type ChannelModel } from "amqplib";
import { ConnectedWaiters } from "./connected-waiters.js";
import { coalesceFrameWrites } from "./frame-writes.js";

export type Setup = (conn: ChannelModel) => Promise<void>;

export type BusConnectionOptions = {
  url: string;
  /** Shown in the RabbitMQ management UI and in logs. */
  name: string;
  logger: Logger;
  registry: Registry;
  backoff?: Backoff;
};

/**
 * One AMQP connection that re-establishes itself with backoff. Publishers and consumers register
 * a setup that runs on every (re)connect and opens their channels; any channel that dies takes the
 * connection down with it, so every part is rebuilt together from a known state.
 *
 * Why not amqp-connection-manager, which does the reconnecting for you: it keeps publishes made while
 * disconnected in an unbounded in-memory buffer and resolves them later, so a publish can no longer
 * mean "RabbitMQ has it" (the gateway's PUBACK waits for exactly that) and an outage grows the heap
 * without limit; and acks sent on a channel that died are silently dropped, so a caller may believe it
 * settled a delivery that will in fact come again. We need a publish to fail fast ("unavailable") and
 * a delivery to know it is dead (Delivery.live), so we keep this small class.
 */
export class BusConnection {
  readonly #opts: BusConnectionOptions;
  readonly #setups: Setup[] = [];
  readonly #abort = new AbortController();
  readonly #backoff: Backoff;
  readonly #waiters = new ConnectedWaiters(() => this.#connected);
  readonly #connectedGauge;
  readonly #reconnects;
  #conn: ChannelModel | undefined;
  #connected = false;
  #loop: Promise<void> | undefined;
  #lastError: string | undefined;

  constructor(opts: BusConnectionOptions) {
    this.#opts = opts;
    this.#backoff = opts.backoff ?? backoff(200, 10_000);
    this.#connectedGauge = gauge(opts.registry, {
      name: "sensorstream_bus_connected",
      help: "1 while the AMQP connection is up, per connection name",
      labelNames: ["connection"],
    });
    this.#reconnects = counter(opts.registry, {
      name: "sensorstream_bus_connects_total",
      help: "AMQP connection attempts by outcome",
      labelNames: ["connection", "outcome"],
    });
    this.#connectedGauge.set({ connection: opts.name }, 0);
  }

  get connected(): boolean {
    return this.#connected;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Registers a setup; it runs now if connected, and on every reconnect. */
  async addSetup(setup: Setup): Promise<void> {
    this.#setups.push(setup);
    if (this.#conn && this.#connected) {
      try {
        await setup(this.#conn);
      } catch (err) {
        this.#fail(err);
        throw err;
      }
    }
  }

  /** Forgets a setup (a closed reader's): it no longer runs on reconnects. */
  removeSetup(setup: Setup): void {
    const i = this.#setups.indexOf(setup);
    if (i >= 0) this.#setups.splice(i, 1);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Resolves when connected, or false after timeoutMs. */
  waitConnected(timeoutMs: number): Promise<boolean> {
    if (this.#abort.signal.aborted) return Promise.resolve(false);
    return this.#waiters.wait(timeoutMs);
  }

  /** Closes the connection so every part is rebuilt (a channel failed); a no-op while shutting down. */
  drop(reason: string): void {
    if (this.#abort.signal.aborted) return;
    this.#opts.logger.warn({ reason }, "dropping AMQP connection to rebuild it");
    this.#conn?.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.#abort.abort();
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn) await settledWithin(conn.close(), CLOSE_WAIT_MS);
    // A setup caught by the close (a channel close racing the connection close, say) can stay pending for good:
    // amqplib leaves some promises unsettled once the connection is gone (amqp-node/amqplib#181). The loop has
    // nothing left to do once aborted, so a shutdown waits for it only briefly.
    await settledWithin(this.#loop ?? Promise.resolve(), CLOSE_WAIT_MS);
    this.#waiters.wake();
  }

  #fail(err: unknown): void {
    this.#lastError = (err as Error)?.message ?? String(err);
    this.#conn?.close().catch(() => {});
  }

  async #run(): Promise<void> {
    const { logger, name, url } = this.#opts;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      let conn: ChannelModel | undefined;
      try {
        conn = await amqp.connect(url, { clientProperties: { connection_name: name } });
        if (!coalesceFrameWrites(conn)) logger.debug("amqplib's frame writer not found: frames go out one by one");
        const closed = new Promise<void>((resolve) => conn?.once("close", () => resolve()));
        conn.on("error", (err: Error) => {
          this.#lastError = err.message;
          logger.warn({ err }, "AMQP connection error");
        });
        conn.on("blocked", (reason: string) => logger.warn({ reason }, "RabbitMQ blocked this connection"));
        conn.on("unblocked", () => logger.info("RabbitMQ unblocked this connection"));
        this.#conn = conn;
        for (const setup of this.#setups) await setup(conn);
        if (signal.aborted) {
          // close() came while connecting: this connection is not the one it closed.
          conn.close().catch(() => {});
          break;
        }
        this.#connected = true;
        this.#lastError = undefined;
        this.#backoff.reset();
        this.#connectedGauge.set({ connection: name }, 1);
        this.#reconnects.inc({ connection: name, outcome: "ok" });
        logger.info({ url: redact(url) }, "connected to RabbitMQ");
        this.#waiters.wake();
        await closed;
      } catch (err) {
        this.#lastError = (err as Error).message;
        this.#reconnects.inc({ connection: name, outcome: "failed" });
        logger.warn({ err, url: redact(url) }, "cannot connect to RabbitMQ; retrying");
        conn?.close().catch(() => {});
      }
      const was = this.#connected;
      this.#connected = false;
      this.#conn = undefined;
      this.#connectedGauge.set({ connection: name }, 0);
      if (signal.aborted) break;
      if (was) logger.warn({ reason: this.#lastError }, "AMQP connection lost; reconnecting");
      await sleep(this.#backoff.next(), signal);
    }
  }
}

/** How long close() waits for the broker's close-ok and for the reconnect loop to notice. */
const CLOSE_WAIT_MS = 2_000;

/** Waits for a promise to settle, at most `ms`; never rejects. */
async function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.then(
      () => {},
      () => {},
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** Hides the password in an AMQP URL for logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable url)";
  }
}
