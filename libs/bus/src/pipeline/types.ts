import type { RejectReason } from "@sensorstream/contracts";
import type { Logger } from "@sensorstream/runtime";
import type { Delivery } from "../consumer.js";

/** The result of parsing one message with its contract. A failure is dead-lettered (reason default invalid_payload). */
export type ParsedOne<T> = { ok: true; message: T } | { ok: false; error: string; reason?: RejectReason };

/**
 * One message of a delivery that carries several (readings.bridged: a gateway's data messages of one turn). Each part
 * goes through the pipeline as if it had come alone: parsed, batched, bisected and dead-lettered on its own (its dead
 * letter holds its own bytes under its own routing key), so a bad one never takes the good ones beside it along. The
 * delivery is acked once every part is settled.
 */
export type Part<T> = {
  /** As if the part had been published alone (e.g. sensor_<id>.data): what its dead letter and logs name. */
  routingKey: string;
  messageId: string | undefined;
  /** The part's own bytes, built only for its dead letter. */
  content: () => Buffer;
  parsed: ParsedOne<T>;
};

/** The result of parsing a delivery: one message, a failure, or the parts of a delivery that carries several. */
export type Parsed<T> = ParsedOne<T> | { ok: true; parts: readonly Part<T>[] };

/** Parses one delivery; never throws. */
export type Parse<T> = (d: Delivery) => Parsed<T>;

/** A parsed message as a handler sees it. */
export type Message<T> = {
  readonly body: T;
  readonly msgId: string;
  readonly routingKey: string;
  /** From the routing key (sensor_<id>.<kind>) or the body's sensor_id; undefined for fleet-wide messages. */
  readonly sensorId: string | undefined;
  /** True when this message was handed out before and not acked (a replay: handlers are idempotent). */
  readonly redelivered: boolean;
  readonly schemaVersion: number;
  /** A child logger carrying consumer, sensor_id and msg_id (created on first use). */
  readonly logger: Logger;
};

/** What a handler returns to refuse a message for good: it is dead-lettered with this reason, never retried. */
export type Reject = { reject: RejectReason; error: string };
export const reject = (reason: RejectReason, error: string): Reject => ({ reject: reason, error });

/**
 * A single-message handler. Resolve (undefined) = done, acked; resolve reject(...) = dead-lettered with the reason;
 * throw PermanentError = the same; throw anything else = transient, retried with backoff (never dead-lettered).
 */
export type Handler<T> = (message: Message<T>) => Promise<Reject | undefined>;

/** A batch handler's refusal of one message of its batch; the rest of the batch is acked. */
export type BatchRejection<T> = Reject & { message: Message<T> };

/**
 * A batch handler: the batch in delivery order. Resolve = every message acked except the ones returned (dead-lettered);
 * throw PermanentError (or an error `isPermanent` recognizes) = the batch is bisected until the one message that
 * causes it is found and dead-lettered; throw anything else = the whole batch is retried with backoff.
 */
export type BatchHandler<T> = (batch: readonly Message<T>[]) => Promise<readonly BatchRejection<T>[] | undefined>;

export const OUTCOMES = ["ok", "invalid", "permanent", "transient"] as const;
/** ok: handled; invalid: refused by its contract; permanent: refused by the handler; transient: failed, retried. */
export type Outcome = (typeof OUTCOMES)[number];

/** Hooks for a service's own metrics and readiness (the pipeline counts outcomes itself). */
export type PipelineObserver = {
  onOutcome?(outcome: Outcome, count: number): void;
  /** A handler call failed transiently and will be retried after a backoff. */
  onTransient?(err: unknown, attempt: number): void;
  /** A handler call succeeded (e.g. the database is reachable again). */
  onHandled?(): void;
  /** Deliveries received and not yet settled. */
  onPending?(count: number): void;
};
