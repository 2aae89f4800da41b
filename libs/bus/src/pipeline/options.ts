import type { Logger, Registry } from "@sensorstream/runtime";
import type { Bus } from "../port.js";
import type { QueueSpec } from "../topology.js";
import type { BatchHandler, Handler, Message, Parse, PipelineObserver } from "./types.js";

type Common<T> = {
  bus: Bus;
  /** The consumer's name: its `consumer` metric label, the x-source of its dead letters, a field of its logs. */
  name: string;
  /** Declared (with the platform exchanges and the dead-letter queue) before consuming. */
  queue: QueueSpec;
  parse: Parse<T>;
  /** Deliveries in flight; for a batch handler, at least the batch size. */
  prefetch: number;
  logger: Logger;
  registry: Registry;
  /** Schema versions this consumer understands (x-schema-version; absent = 1); others go to dead_letters. */
  versions?: readonly number[];
  /** Tells an error a handler throws that retrying cannot fix (besides PermanentError), e.g. a constraint violation. */
  isPermanent?: (err: unknown) => boolean;
  /** Transient retries back off between these bounds (default 200 ms .. 5 s). */
  retry?: { minMs: number; maxMs: number };
  observe?: PipelineObserver;
};

export type SingleOptions<T> = Common<T> & {
  handle: Handler<T>;
  /**
   * Messages handled at once (default 1). Messages with the same order key (default: the sensor id, else the routing
   * key) are always handled one after another, in delivery order.
   */
  concurrency?: number;
  orderKey?: (m: Message<T>) => string;
};

export type BatchOptions<T> = Common<T> & {
  handleBatch: BatchHandler<T>;
  batch: {
    /** A batch is cut when the sizes of its messages add up to this (default size: 1 per message)... */
    maxSize: number;
    /** ...or this long after its first message arrived. */
    flushMs: number;
    size?: (body: T) => number;
    /** Batches handled at once (default 1: one after another, in delivery order); see BatcherOptions.concurrency. */
    concurrency?: number;
  };
};

export type ConsumerOptions<T> = SingleOptions<T> | BatchOptions<T>;

/** A running consumer. stop() drains: no new deliveries, what was taken is handled (or returned), then closes. */
export type Consumer = { readonly ready: boolean; stop(): Promise<void> };
