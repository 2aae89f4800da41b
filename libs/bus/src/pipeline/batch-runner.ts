import { backoff, sleep } from "@sensorstream/runtime";
import { Batcher, type BatchStore, type Refused } from "../batcher.js";
import type { Runner, RunnerContext } from "./runner.js";
import type { BatchHandler, BatchRejection, Message } from "./types.js";

type Batch<T> = readonly Message<T>[];

/**
 * Runs a batch handler through the Batcher: batches cut by size or time, one batch handled at a time in delivery
 * order (or `concurrency` at once), acks after the handler resolved, permanent failures bisected down to one dead-lettered message, transient
 * ones retried with backoff for as long as the messages are live.
 */
export function batchRunner<T>(
  c: RunnerContext,
  handle: BatchHandler<T>,
  o: { maxSize: number; flushMs: number; size?: (body: T) => number; concurrency?: number },
): Runner<T> {
  const wait = backoff(c.retry.minMs, c.retry.maxMs);
  const store: BatchStore<Message<T>, readonly BatchRejection<T>[]> = {
    async write(batch: Batch<T>) {
      const end = c.metrics.seconds.startTimer(c.label);
      try {
        return (await handle(batch)) ?? [];
      } finally {
        end();
      }
    },
    isPermanent: (err) => c.isPermanent(err),
    refused: (rejections): Refused<Message<T>>[] =>
      rejections.map((r) => ({ message: r.message, reason: r.reject, error: r.error })),
  };
  const size = o.size;
  const batcher = new Batcher<Message<T>, readonly BatchRejection<T>[]>({
    store,
    size: size ? (m) => size(m.body) : () => 1,
    maxRows: o.maxSize,
    flushMs: o.flushMs,
    ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    retryDelay: (attempt) => {
      if (attempt === 1) wait.reset();
      return sleep(wait.next(), c.stopping);
    },
    onWritten(messages, refused) {
      c.observe.onHandled?.();
      c.count("ok", messages.length - refused.length);
    },
    onTransient(err, attempt, messages) {
      c.count("transient", messages);
      c.observe.onTransient?.(err, attempt);
    },
  });
  return {
    add(d, m) {
      batcher.add({
        message: m,
        live: d.live,
        ack: () => d.ack(),
        reject: (error, reason) => c.refuse(d, m as Message<unknown>, reason, error),
      });
    },
    drain: () => batcher.flush(),
    stop: () => batcher.stop(),
  };
}
