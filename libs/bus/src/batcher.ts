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
  /**
   * Batches written at once (default 1). More than one overlaps one batch's round trips and commit with the next
   * one's work (each write takes its own pooled connection); the store must then tolerate concurrent writes (no
   * deadlock between two batches touching the same keys). Acks then come per batch, in any order.
   */
  concurrency?: number;
  /** Waits before retrying a transient failure; `attempt` starts at 1. */
  retryDelay: (attempt: number) => Promise<void>;
  onWritten?: (messages: readonly T[], result: R, seconds: number) => void;
  onTransient?: (err: unknown, attempt: number, messages: number) => void;
  onRejected?: (p: Pending<T>, error: string) => void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
};

/**
 * Collects messages into batches (flushed at maxRows or after flushMs) and writes up to `concurrency` of them at a
 * time. While every slot is busy the next batch keeps filling (the timer does not cut it): under load, batches grow
 * instead of queueing up small behind slow writes, so a backlog is caught up in few large writes. A batch that is full
 * while every slot is busy waits for a slot (at most one such batch per slot: the prefetch bounds the rest).
 * Each message is acked only after its batch committed. A permanent failure is bisected down to
 * the message that causes it, which is dead-lettered while the rest lands; a transient one is
 * retried until it succeeds or the messages' channel is gone.
 */
export class Batcher<T, R> {
  readonly #o: BatcherOptions<T, R>;
  readonly #concurrency: number;
  #queue: Pending<T>[] = [];
  #rows = 0;
  #timer: unknown;
  /** Full batches waiting for a free slot. */
  #waiting: Pending<T>[][] = [];
  /** Writes running now. */
  #active = 0;
  /** Resolved when the last write ends with nothing left running or waiting (flush waits on it). */
  #idle: Promise<void> = Promise.resolve();
  #becomeIdle: (() => void) | undefined;
  #stopped = false;

  constructor(o: BatcherOptions<T, R>) {
    this.#o = o;
    this.#concurrency = Math.max(1, Math.floor(o.concurrency ?? 1));
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
    while (this.#queue.length > 0 || this.#active > 0 || this.#waiting.length > 0) {
      this.#cut(true);
      await this.#idle;
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
    const busy = this.#active + this.#waiting.length >= this.#concurrency;
    // Every slot is busy: keep filling; the batch is cut when a write ends (or when it is full).
    if (!force && busy && this.#rows < this.#o.maxRows) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#rows = 0;
    if (this.#active < this.#concurrency) this.#start(batch);
    else this.#waiting.push(batch);
  }

  #start(batch: Pending<T>[]): void {
    if (this.#becomeIdle === undefined) {
      this.#idle = new Promise((resolve) => {
        this.#becomeIdle = resolve;
      });
    }
    this.#active++;
    void this.#writeWithRetry(batch).finally(() => {
      this.#active--;
      const next = this.#waiting.shift();
      if (next !== undefined) this.#start(next);
      else if (this.#queue.length > 0 && !this.#stopped) this.#cut(true);
      if (this.#active === 0 && this.#waiting.length === 0) {
        this.#becomeIdle?.();
        this.#becomeIdle = undefined;
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
