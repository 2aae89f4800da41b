import type { RejectReason } from "@sensorstream/contracts";
import { PermanentError } from "./pipeline/errors.js";

/** A message taken from the queue, parsed, with the ways to settle it. */
export type Pending<T> = {
  message: T;
  /** False once its channel is gone: it will be redelivered, so it need not be written now. */
  live(): boolean;
  ack(): void;
  /** Dead-letters it with the reason (durably), then acks it. */
  reject(error: string, reason: RejectReason): Promise<void>;
};

/** One message of a written batch that the store refused on its own (the rest of the batch stands). */
export type Refused<T> = { message: T; reason: RejectReason; error: string };

/**
 * The port to storage. `isPermanent` tells a bad-data error from an outage (a PermanentError always is one).
 * `refused` names messages of a successful write that are to be dead-lettered rather than acked.
 */
export type BatchStore<T, R> = {
  write(messages: readonly T[]): Promise<R>;
  isPermanent(err: unknown): boolean;
  refused?(result: R): readonly Refused<T>[];
};

export type BatcherOptions<T, R> = {
  store: BatchStore<T, R>;
  /** Rows a message will produce: what maxRows counts. */
  size: (message: T) => number;
  maxRows: number;
  flushMs: number;
  /** Waits before retrying a transient failure; `attempt` starts at 1. */
  retryDelay: (attempt: number) => Promise<void>;
  onWritten?: (messages: readonly T[], result: R, seconds: number) => void;
  onTransient?: (err: unknown, attempt: number, messages: number) => void;
  onRejected?: (p: Pending<T>, error: string) => void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
};

/**
 * Collects messages into batches (flushed at maxRows or after flushMs), writes one batch at a time,
 * and while one is being written the next keeps filling (the timer does not cut it): under load, batches
 * grow instead of queueing up small behind a slow write, so a backlog is caught up in few large writes.
 * Each message is acked only after its batch committed. A permanent failure is bisected down to
 * the message that causes it, which is dead-lettered while the rest lands; a transient one is
 * retried until it succeeds or the messages' channel is gone.
 */
export class Batcher<T, R> {
  readonly #o: BatcherOptions<T, R>;
  #queue: Pending<T>[] = [];
  #rows = 0;
  #timer: unknown;
  #writing: Promise<void> = Promise.resolve();
  /** Batches cut and not yet written. */
  #inFlight = 0;
  #stopped = false;

  constructor(o: BatcherOptions<T, R>) {
    this.#o = o;
  }

  add(p: Pending<T>): void {
    this.#queue.push(p);
    this.#rows += this.#o.size(p.message);
    if (this.#rows >= this.#o.maxRows) this.#cut();
    else if (this.#timer === undefined) {
      this.#timer = (this.#o.setTimer ?? setTimeout)(() => this.#cut(), this.#o.flushMs);
    }
  }

  /** Writes everything collected so far and waits for all writes to finish. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#inFlight > 0) {
      this.#cut(true);
      await this.#writing;
    }
  }

  /** Stops retrying transient failures (shutdown): unacked messages go back to the queue. */
  stop(): void {
    this.#stopped = true;
  }

  get pendingMessages(): number {
    return this.#queue.length;
  }

  #cut(force = false): void {
    if (this.#timer !== undefined) {
      (this.#o.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout)))(this.#timer);
      this.#timer = undefined;
    }
    if (this.#queue.length === 0) return;
    // A write is running: keep filling; the batch is cut when the write ends (or when it is full).
    if (!force && this.#inFlight > 0 && this.#rows < this.#o.maxRows) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#rows = 0;
    this.#inFlight++;
    this.#writing = this.#writing.then(async () => {
      try {
        await this.#writeWithRetry(batch);
      } finally {
        this.#inFlight--;
        if (this.#inFlight === 0 && this.#queue.length > 0 && !this.#stopped) this.#cut(true);
      }
    });
  }

  async #writeWithRetry(batch: Pending<T>[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const live = batch.filter((p) => p.live());
      if (live.length === 0 || (this.#stopped && attempt > 1)) return;
      try {
        await this.#writeOrBisect(live);
        return;
      } catch (err) {
        this.#o.onTransient?.(err, attempt, live.length);
        if (this.#stopped) return;
        await this.#o.retryDelay(attempt);
      }
    }
  }

  /** Throws only for transient errors. */
  async #writeOrBisect(batch: Pending<T>[]): Promise<void> {
    try {
      const started = performance.now();
      const result = await this.#o.store.write(batch.map((p) => p.message));
      const seconds = (performance.now() - started) / 1000;
      const refused = new Map((this.#o.store.refused?.(result) ?? []).map((r) => [r.message, r]));
      for (const p of batch) {
        const r = refused.get(p.message);
        if (r === undefined) p.ack();
        else {
          this.#o.onRejected?.(p, r.error);
          await p.reject(r.error, r.reason);
        }
      }
      this.#o.onWritten?.(
        batch.map((p) => p.message),
        result,
        seconds,
      );
    } catch (err) {
      const permanent = err instanceof PermanentError;
      if (!permanent && !this.#o.store.isPermanent(err)) throw err;
      if (batch.length === 1) {
        const only = batch[0] as Pending<T>;
        const error = permanent ? err.message : `cannot be stored: ${(err as Error).message}`;
        this.#o.onRejected?.(only, error);
        await only.reject(error, permanent ? err.reason : "permanent_store_error");
        return;
      }
      const mid = Math.ceil(batch.length / 2);
      await this.#writeOrBisect(batch.slice(0, mid));
      await this.#writeOrBisect(batch.slice(mid));
    }
  }
}
