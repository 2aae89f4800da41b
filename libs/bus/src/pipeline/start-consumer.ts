import type { Delivery } from "../consumer.js";
import type { Subscription } from "../port.js";
import { batchRunner } from "./batch-runner.js";
import { pipelineContext } from "./context.js";
import { deadLetterAndAck } from "./dead-letter-and-ack.js";
import { openDelivery } from "./envelope.js";
import type { Consumer, ConsumerOptions } from "./options.js";
import type { Runner } from "./runner.js";
import { singleRunner } from "./single-runner.js";

/**
 * The one message pipeline: declare the queue, consume it, and for every delivery check its schema version, parse
 * it with the contract (invalid → dead letter), hand it to the handler with a child logger, retry transient failures
 * with backoff, dead-letter what the handler refuses, ack after the effect, count every outcome.
 */
export async function startConsumer<T>(o: ConsumerOptions<T>): Promise<Consumer> {
  const { bus, logger, name } = o;
  await bus.declare([o.queue]);
  const stopping = new AbortController();
  const c = pipelineContext(o, stopping.signal);
  const runner: Runner<T> =
    "handleBatch" in o
      ? batchRunner(c, o.handleBatch, o.batch)
      : singleRunner(c, o.handle, o.concurrency ?? 1, o.orderKey ?? ((m) => m.sensorId ?? m.routingKey));
  let pending = 0;
  const setPending = (n: number) => {
    pending = Math.max(0, n);
    c.observe.onPending?.(pending);
  };

  const onMessage = (raw: Delivery) => {
    setPending(pending + 1);
    const d = tracked(raw, () => setPending(pending - 1));
    // One delivery, or one per message of a delivery that carries several (each settled on its own).
    for (const { d: one, opened } of openDelivery(d, o.parse, { consumer: name, logger, versions: c.versions })) {
      if (opened.ok) {
        runner.add(one, opened.message);
        continue;
      }
      c.count("invalid", 1);
      const { sensorId, reason, error } = opened;
      const fields = { consumer: name, routing_key: one.routingKey, msg_id: one.messageId, sensor_id: sensorId };
      logger.warn({ ...fields, reason, error }, "dead-lettering a message its contract refuses");
      deadLetterAndAck(bus, name, one, opened, logger, stopping.signal).catch((err) =>
        logger.warn({ err }, "could not dead-letter; the message will be redelivered"),
      );
    }
  };
  const sub: Subscription = await bus.consume({
    queue: o.queue.name,
    prefetch: o.prefetch,
    onMessage,
    onChannelLost: () => setPending(0),
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
