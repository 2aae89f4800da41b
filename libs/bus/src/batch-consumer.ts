import { EXCHANGE, sensorIdFromRoutingKey } from "@sensorstream/contracts";
import {
  backoff,
  counter,
  gauge,
  histogram,
  LATENCY_BUCKETS,
  type Logger,
  type Registry,
  sleep,
} from "@sensorstream/runtime";
import { Batcher, type BatchStore, type Pending } from "./batcher.js";
import type { BusConnection } from "./connection.js";
import type { Delivery } from "./consumer.js";
import { QueueConsumer } from "./consumer.js";
import { DeadLetterPublisher } from "./dead-letter.js";
import { ConfirmPublisher } from "./publisher.js";
import { declareTopology, type QueueSpec } from "./topology.js";

export type WriteCounts = { inserted: number; duplicates: number };
export type Parsed<T> = { ok: true; message: T } | { ok: false; error: string };

export type BatchConsumerOptions<T, R extends WriteCounts> = {
  bus: BusConnection;
  queue: QueueSpec;
  /** Names the consumer in dead letters (x-source) and in the `ingester` metric label. */
  name: string;
  logger: Logger;
  registry: Registry;
  prefetch: number;
  maxRows: number;
  flushMs: number;
  /** Validates a delivery; an invalid one is dead-lettered (invalid_payload) at once. */
  parse: (d: Delivery) => Parsed<T>;
  size: (message: T) => number;
  store: BatchStore<T, R>;
  /** After a batch committed and was acked (for the caller's own metrics). */
  onWritten?: (messages: readonly T[], result: R) => void;
  /** Tells readiness whether the store works (false after a transient failure, true after a write). */
  onStoreHealth?: (ok: boolean) => void;
};

export type BatchConsumer = { readonly ready: boolean; stop(): Promise<void> };

/**
 * The ingestion loop every ingester shares: consume a queue, validate each message, write batches,
 * ack after commit, dead-letter what cannot be stored (with the reason), retry outages forever.
 */
export async function startBatchConsumer<T, R extends WriteCounts>(
  o: BatchConsumerOptions<T, R>,
): Promise<BatchConsumer> {
  const { logger, registry, name } = o;
  const m = batchMetrics(registry);
  const label = { ingester: name };
  await o.bus.addSetup(async (conn) => {
    const ch = await conn.createChannel();
    await declareTopology(ch, [o.queue]);
    await ch.close();
  });
  const publisher = new ConfirmPublisher(o.bus, { exchange: EXCHANGE, logger, registry });
  await publisher.attach();
  const deadLetters = new DeadLetterPublisher(publisher, registry);
  const stopping = new AbortController();
  const retry = backoff(200, 5_000);

  let pending = 0;
  const settle = () => {
    pending = Math.max(0, pending - 1);
    m.pending.set(label, pending);
  };
  const reject = async (d: Delivery, reason: "invalid_payload" | "permanent_store_error", error: string) => {
    const sensorId = sensorIdFromRoutingKey(d.routingKey);
    await deadLetters.publish({
      reason,
      error,
      source: name,
      body: d.content,
      messageId: d.messageId ?? `${name}-${Date.now()}`,
      routingKey: d.routingKey,
      ...(sensorId === undefined ? {} : { sensorId }),
    });
    d.ack();
    settle();
  };

  const batcher = new Batcher<T, R>({
    store: o.store,
    size: o.size,
    maxRows: o.maxRows,
    flushMs: o.flushMs,
    retryDelay: (attempt) => {
      if (attempt === 1) retry.reset();
      return sleep(retry.next(), stopping.signal);
    },
    onWritten(messages, result, seconds) {
      o.onStoreHealth?.(true);
      m.batchSeconds.observe(label, seconds);
      m.batchRows.observe(label, result.inserted + result.duplicates);
      m.messages.inc({ ...label, outcome: "ok" }, messages.length);
      m.rows.inc({ ...label, outcome: "inserted" }, result.inserted);
      m.rows.inc({ ...label, outcome: "duplicate" }, result.duplicates);
      o.onWritten?.(messages, result);
    },
    onTransient(err, attempt) {
      o.onStoreHealth?.(false);
      m.transient.inc(label);
      logger.warn({ err, attempt }, "batch write failed; retrying (its messages stay unacked)");
    },
    onRejected(_p, error) {
      m.messages.inc({ ...label, outcome: "permanent" });
      logger.warn({ error }, "dead-lettering a message the database refused");
    },
  });

  const consumer = new QueueConsumer(o.bus, {
    queue: o.queue.name,
    prefetch: o.prefetch,
    logger,
    onMessage(d) {
      pending++;
      m.pending.set(label, pending);
      const parsed = o.parse(d);
      if (!parsed.ok) {
        m.messages.inc({ ...label, outcome: "invalid" });
        logger.warn(
          { routing_key: d.routingKey, msg_id: d.messageId, error: parsed.error },
          "dead-lettering an invalid message",
        );
        reject(d, "invalid_payload", parsed.error).catch((err) => {
          settle();
          logger.warn({ err }, "could not dead-letter; the message will be redelivered");
        });
        return;
      }
      const p: Pending<T> = {
        message: parsed.message,
        live: d.live,
        ack: () => {
          d.ack();
          settle();
        },
        reject: (error) => reject(d, "permanent_store_error", error),
      };
      batcher.add(p);
    },
    onChannelLost: () => {
      pending = 0;
      m.pending.set(label, 0);
    },
  });
  await consumer.attach();
  logger.info({ queue: o.queue.name, prefetch: o.prefetch }, "consuming");

  return {
    get ready() {
      return consumer.ready;
    },
    async stop() {
      consumer.pause();
      await batcher.flush();
      batcher.stop();
      stopping.abort();
      await consumer.close();
    },
  };
}

function batchMetrics(registry: Registry) {
  const labelNames = ["ingester"] as const;
  return {
    messages: counter(registry, {
      name: "sensorstream_ingester_messages_total",
      help: "Messages settled by an ingester, by outcome (ok: committed; invalid, permanent: dead-lettered)",
      labelNames: ["ingester", "outcome"],
    }),
    rows: counter(registry, {
      name: "sensorstream_ingester_rows_total",
      help: "Rows offered to the database, by outcome (inserted; duplicate: already stored, a replay)",
      labelNames: ["ingester", "outcome"],
    }),
    batchSeconds: histogram(registry, {
      name: "sensorstream_ingester_batch_write_seconds",
      help: "Time to write and commit one batch",
      labelNames,
      buckets: LATENCY_BUCKETS,
    }),
    batchRows: histogram(registry, {
      name: "sensorstream_ingester_batch_rows",
      help: "Rows per committed batch",
      labelNames,
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000],
    }),
    transient: counter(registry, {
      name: "sensorstream_ingester_transient_errors_total",
      help: "Batch writes that failed for a transient reason (database unavailable) and were retried",
      labelNames,
    }),
    pending: gauge(registry, {
      name: "sensorstream_ingester_pending_messages",
      help: "Messages received and not yet settled",
      labelNames,
    }),
  };
}
