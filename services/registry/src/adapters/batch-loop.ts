import { type BusConnection, type DeadLetterPublisher, type Delivery, QueueConsumer } from "@sensorstream/bus";
import type { RejectReason } from "@sensorstream/contracts";
import { sensorIdFromRoutingKey } from "@sensorstream/contracts";
import { isPermanentDataError } from "@sensorstream/db";
import { backoff, type Logger, sleep } from "@sensorstream/runtime";

export type LoopVerdict = { ok: true } | { ok: false; reason: RejectReason; error: string };
type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };
type Item<T> = { d: Delivery; value: T };

export type BatchLoopOptions<T> = {
  bus: BusConnection;
  queue: string;
  name: string;
  logger: Logger;
  deadLetters: DeadLetterPublisher;
  maxBatch: number;
  flushMs: number;
  parse: (d: Delivery) => Parsed<T>;
  /** Applies a batch durably and returns one verdict per message; throws on a database error. */
  handle: (values: readonly T[]) => Promise<LoopVerdict[]>;
  onInvalid: () => void;
  onStoreHealth: (ok: boolean) => void;
};

/**
 * The registry's consumer loop, kept minimal and in this one file until libs/bus offers one message pipeline
 * with batch handlers (then this adapter is what gets swapped). Deliveries are cut into batches (maxBatch or
 * flushMs), handled one batch at a time in delivery order, and acked after the handler's commit; invalid ones
 * and the handler's rejections are dead-lettered with their reason. A transient error retries the same batch
 * with backoff, unacked; a permanent data error is bisected down to the message that causes it.
 */
export async function startBatchLoop<T>(o: BatchLoopOptions<T>) {
  const retry = backoff(200, 5_000);
  const stopping = new AbortController();
  let buffer: Item<T>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

  const reject = async (d: Delivery, reason: RejectReason, error: string) => {
    const sensorId = sensorIdFromRoutingKey(d.routingKey);
    await o.deadLetters.publish({
      reason,
      error,
      source: o.name,
      body: d.content,
      messageId: d.messageId ?? `${o.name}-${Date.now()}`,
      routingKey: d.routingKey,
      ...(sensorId === undefined ? {} : { sensorId }),
    });
    o.logger.warn({ routing_key: d.routingKey, reason, error }, "dead-lettered a registry message");
    d.ack();
  };

  const apply = async (batch: Item<T>[]): Promise<void> => {
    try {
      const verdicts = await o.handle(batch.map((i) => i.value));
      o.onStoreHealth(true);
      await Promise.all(batch.map((i, n) => settle(i.d, verdicts[n] ?? { ok: true })));
    } catch (err) {
      if (!isPermanentDataError(err)) throw err;
      if (batch.length === 1) {
        const only = batch[0] as Item<T>;
        return reject(only.d, "permanent_store_error", `cannot be stored: ${(err as Error).message}`);
      }
      const mid = Math.ceil(batch.length / 2);
      await apply(batch.slice(0, mid));
      await apply(batch.slice(mid));
    }
  };
  const settle = (d: Delivery, v: LoopVerdict) => (v.ok ? Promise.resolve(d.ack()) : reject(d, v.reason, v.error));

  const run = async (batch: Item<T>[]) => {
    for (let attempt = 1; ; attempt++) {
      const live = batch.filter((i) => i.d.live());
      if (live.length === 0) return;
      try {
        await apply(live);
        retry.reset();
        return;
      } catch (err) {
        o.onStoreHealth(false);
        // Shutting down: one attempt only; what is not acked returns to the queue.
        if (stopping.signal.aborted) return;
        o.logger.warn({ err, attempt }, "registry batch failed; retrying (its messages stay unacked)");
        await sleep(retry.next(), stopping.signal).catch(() => {});
      }
    }
  };

  const cut = () => {
    clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    chain = chain.then(() => run(batch)).catch((err) => o.logger.warn({ err }, "registry batch not settled"));
  };

  const consumer = new QueueConsumer(o.bus, {
    queue: o.queue,
    // Twice a batch: the next batch fills while one is applied.
    prefetch: o.maxBatch * 2,
    logger: o.logger,
    onMessage(d) {
      const parsed = o.parse(d);
      if (!parsed.ok) {
        o.onInvalid();
        reject(d, "invalid_payload", parsed.error).catch((err) =>
          o.logger.warn({ err }, "could not dead-letter; the message will be redelivered"),
        );
        return;
      }
      buffer.push({ d, value: parsed.value });
      if (buffer.length >= o.maxBatch) cut();
      else timer ??= setTimeout(cut, o.flushMs);
    },
    onChannelLost: () => {
      buffer = [];
    },
  });
  await consumer.attach();

  return {
    get ready() {
      return consumer.ready;
    },
    async stop() {
      consumer.pause();
      cut();
      stopping.abort();
      await chain;
      await consumer.close();
    },
  };
}
