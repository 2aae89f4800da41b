import type { RejectReason } from "@sensorstream/contracts";
import type { Delivery } from "../consumer.js";
import type { Subscription } from "../port.js";
import { batchRunner } from "./batch-runner.js";
import { deadLetterAndAck } from "./dead-letter-and-ack.js";
import { openDelivery } from "./envelope.js";
import { pipelineMetrics } from "./metrics.js";
import type { Consumer, ConsumerOptions } from "./options.js";
import type { Runner, RunnerContext } from "./runner.js";
import { singleRunner } from "./single-runner.js";
import type { Message, Outcome } from "./types.js";

/**
 * The one message pipeline: declare the queue, consume it, and for every delivery check its schema version, parse
 * it with the contract (invalid → dead letter), hand it to the handler with a child logger, retry transient failures
 * with backoff, dead-letter what the handler refuses, ack after the effect, count every outcome.
 */
export async function startConsumer<T>(o: ConsumerOptions<T>): Promise<Consumer> {
  const { bus, logger, name } = o;
  await bus.declare([o.queue]);
  const metrics = pipelineMetrics(o.registry);
  const label = { consumer: name };
  const stopping = new AbortController();
  const observe = o.observe ?? {};
  let pending = 0;
  const settled = () => {
    pending = Math.max(0, pending - 1);
    observe.onPending?.(pending);
  };
  const count = (outcome: Outcome, n: number) => {
    if (n <= 0) return;
    metrics.messages.inc({ ...label, outcome }, n);
    observe.onOutcome?.(outcome, n);
  };
  const refuse = async (d: Delivery, m: Message<unknown>, reason: RejectReason, error: string) => {
    count("permanent", 1);
    m.logger.warn({ reason, error }, "dead-lettering a message its handler refused");
    await deadLetterAndAck(
      bus,
      name,
      d,
      { reason, error, sensorId: m.sensorId, schemaVersion: m.schemaVersion },
      logger,
      stopping.signal,
    );
  };
  const c: RunnerContext = {
    metrics,
    label,
    stopping: stopping.signal,
    retry: o.retry ?? { minMs: 200, maxMs: 5_000 },
    observe,
    isPermanent: (err) => o.isPermanent?.(err) ?? false,
    count,
    refuse,
  };
  const runner: Runner<T> =
    "handleBatch" in o
      ? batchRunner(c, o.handleBatch, o.batch)
      : singleRunner(c, o.handle, o.concurrency ?? 1, o.orderKey ?? ((m) => m.sensorId ?? m.routingKey));
  const versions = o.versions ?? [1];

  const onMessage = (raw: Delivery) => {
    pending++;
    observe.onPending?.(pending);
    const d = tracked(raw, settled);
    const opened = openDelivery(d, o.parse, { consumer: name, logger, versions });
    if (opened.ok) return runner.add(d, opened.message);
    count("invalid", 1);
    logger.warn(
      {
        consumer: name,
        routing_key: d.routingKey,
        msg_id: d.messageId,
        sensor_id: opened.sensorId,
        reason: opened.reason,
        error: opened.error,
      },
      "dead-lettering a message its contract refuses",
    );
    deadLetterAndAck(bus, name, d, opened, logger, stopping.signal).catch((err) =>
      logger.warn({ err }, "could not dead-letter; the message will be redelivered"),
    );
  };
  const sub: Subscription = await bus.consume({
    queue: o.queue.name,
    prefetch: o.prefetch,
    onMessage,
    onChannelLost: () => {
      pending = 0;
      observe.onPending?.(0);
    },
  });
  logger.info({ consumer: name, queue: o.queue.name, prefetch: o.prefetch }, "consuming");

  return {
    get ready() {
      return sub.ready;
    },
    async stop() {
      sub.pause();
      // A batch consumer first writes what it collected. A single-message one lets the call in progress finish (and
      // ack); messages still waiting in its lanes are not started and return to the queue when the channel closes.
      if ("handleBatch" in o) await runner.drain();
      runner.stop();
      stopping.abort();
      await runner.drain();
      await sub.close();
    },
  };
}

/** The delivery, counting its settlement once for the pending gauge. */
function tracked(d: Delivery, onSettled: () => void): Delivery {
  let done = false;
  const once = () => {
    if (!done) {
      done = true;
      onSettled();
    }
  };
  return {
    content: d.content,
    routingKey: d.routingKey,
    messageId: d.messageId,
    headers: d.headers,
    redelivered: d.redelivered,
    live: d.live,
    ack() {
      d.ack();
      once();
    },
    nack(requeue) {
      d.nack(requeue);
      once();
    },
  };
}
