import type { RejectReason } from "@sensorstream/contracts";
import type { Delivery } from "../consumer.js";
import type { PipelineMetrics } from "./metrics.js";
import type { Message, Outcome, PipelineObserver } from "./types.js";

/** What the single and batch runners share from the consumer that owns them. */
export type RunnerContext = {
  metrics: PipelineMetrics;
  label: { consumer: string };
  stopping: AbortSignal;
  retry: { minMs: number; maxMs: number };
  observe: PipelineObserver;
  /** Schema versions the consumer accepts. */
  versions: readonly number[];
  isPermanent(err: unknown): boolean;
  count(outcome: Outcome, n: number): void;
  /** Dead-letters a parsed message the handler refused (outcome permanent), then acks it. */
  refuse(d: Delivery, m: Message<unknown>, reason: RejectReason, error: string): Promise<void>;
};

/** Takes parsed deliveries, settles each once handled. */
export type Runner<T> = {
  add(d: Delivery, m: Message<T>): void;
  /** Handles everything taken so far. */
  drain(): Promise<void>;
  /** No more retries: what is unsettled goes back to the queue when the subscription closes. */
  stop(): void;
};
