import { counter, gauge, histogram, LATENCY_BUCKETS, type Logger, type Registry } from "@sensorstream/runtime";
import type { BatchStore } from "./batcher.js";
import type { Consumer } from "./pipeline/options.js";
import { startConsumer } from "./pipeline/start-consumer.js";
import type { Parse } from "./pipeline/types.js";
import type { Bus } from "./port.js";
import type { QueueSpec } from "./topology.js";

export type WriteCounts = { inserted: number; duplicates: number };

export type BatchConsumerOptions<T, R extends WriteCounts> = {
  bus: Bus;
  queue: QueueSpec;
  /** Names the consumer in dead letters (x-source) and in the `ingester` and `consumer` metric labels. */
  name: string;
  logger: Logger;
  registry: Registry;
  prefetch: number;
  maxRows: number;
  flushMs: number;
  /** Batches written at once (default 1); the store must tolerate concurrent writes. */
  concurrency?: number;
  /** Validates a delivery; an invalid one is dead-lettered (invalid_payload) at once. */
  parse: Parse<T>;
  size: (message: T) => number;
  store: BatchStore<T, R>;
  /** After a batch committed (for the caller's own metrics). */
  onWritten?: (messages: readonly T[], result: R) => void;
  /** Tells readiness whether the store works (false after a transient failure, true after a write). */
  onStoreHealth?: (ok: boolean) => void;
};

export type BatchConsumer = Consumer;

/**
 * An ingester on the message pipeline: a batch handler that writes rows through a BatchStore, plus the ingester
 * metrics the dashboards read (sensorstream_ingester_*, besides the pipeline's sensorstream_consumer_*).
 */
export function startBatchConsumer<T, R extends WriteCounts>(o: BatchConsumerOptions<T, R>): Promise<BatchConsumer> {
  const m = ingesterMetrics(o.registry);
  const label = { ingester: o.name };
  return startConsumer<T>({
    bus: o.bus,
    name: o.name,
    queue: o.queue,
    parse: o.parse,
    prefetch: o.prefetch,
    logger: o.logger,
    registry: o.registry,
    isPermanent: (err) => o.store.isPermanent(err),
    batch: {
      maxSize: o.maxRows,
      flushMs: o.flushMs,
      size: o.size,
      ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    },
    async handleBatch(batch) {
      const bodies = batch.map((x) => x.body);
      const started = performance.now();
      const result = await o.store.write(bodies);
      m.batchSeconds.observe(label, (performance.now() - started) / 1000);
      m.batchRows.observe(label, result.inserted + result.duplicates);
      m.rows.inc({ ...label, outcome: "inserted" }, result.inserted);
      m.rows.inc({ ...label, outcome: "duplicate" }, result.duplicates);
      o.onWritten?.(bodies, result);
      return undefined;
    },
    observe: {
      onOutcome(outcome, n) {
        // The ingester counter never had "transient": those are sensorstream_ingester_transient_errors_total.
        if (outcome !== "transient") m.messages.inc({ ...label, outcome }, n);
      },
      onTransient(err, attempt) {
        o.onStoreHealth?.(false);
        m.transient.inc(label);
        o.logger.warn({ err, attempt }, "batch write failed; retrying (its messages stay unacked)");
      },
      onHandled: () => o.onStoreHealth?.(true),
      onPending: (n) => m.pending.set(label, n),
    },
  });
}

function ingesterMetrics(registry: Registry) {
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
