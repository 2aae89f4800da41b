import type { Delivery } from "./consumer.js";
import type { DeadLetter } from "./dead-letter.js";
import type { LogReader, LogSpec, ReadLogOptions } from "./log.js";
import type { PublishOptions } from "./publisher.js";
import type { QueueSpec } from "./topology.js";

/** What a consumer asks of the bus: one queue, a prefetch window, and a callback per delivery. */
export type ConsumeOptions = {
  queue: string;
  /** Deliveries handed out and not yet settled; the broker holds the rest back. */
  prefetch: number;
  onMessage: (d: Delivery) => void;
  /** The channel went away: every delivery not yet settled will come again (redelivered). */
  onChannelLost?: () => void;
  /**
   * The subscription is in place: called once it first is, and again after every reconnect. A consumer of a
   * transient queue (which loses what it held with the connection) re-checks here what it may have missed.
   */
  onSubscribed?: () => void;
};

/** A running consumer. It re-subscribes by itself after a reconnect. */
export type Subscription = {
  readonly ready: boolean;
  /** Stops handing out deliveries; those already handed out can still be settled. */
  pause(): void;
  /** Ends the subscription: unsettled deliveries return to the queue. */
  close(): Promise<void>;
};

/**
 * The message bus as the services see it. RabbitBus is the production implementation; MemoryBus keeps the same
 * semantics in one process (unit tests, and later an embedded bus). One conformance suite holds both to the contract:
 *
 * - declare: the platform exchanges, the dead-letter queue and the given queues with their bindings, less their
 *   retired bindings (idempotent, and in force again after every reconnect);
 * - publish: resolves only once the broker has the message in at least one queue; a message no queue takes
 *   (mandatory, the default), a full queue (reject-publish) or a lost connection reject it with a PublishError;
 * - consume: manual acks; whatever is not acked when the channel goes comes again, marked redelivered; a delivery
 *   returned more often than its queue's deliveryLimit goes to the dead-letter exchange;
 * - deadLetter: a confirmed publish to the dead-letter exchange with the reason in headers;
 * - transient queues (QueueSpec.transient): per replica, bounded with drop-head, gone with the connection or with
 *   their last consumer, declared again on reconnect (onSubscribed tells the consumer);
 * - declareLog / readLog: an append-only log (RabbitMQ stream queue) bound like a queue, whose entries carry an
 *   offset common to all readers; a reader starts at an offset (or at "next") and, after a lost connection,
 *   carries on after the last entry it handed over: no gap, no repeat.
 */
export type Bus = {
  declare(queues: readonly QueueSpec[]): Promise<void>;
  publish(routingKey: string, content: Buffer, options: PublishOptions): Promise<void>;
  deadLetter(letter: DeadLetter): Promise<void>;
  consume(options: ConsumeOptions): Promise<Subscription>;
  declareLog(spec: LogSpec): Promise<void>;
  readLog(options: ReadLogOptions): Promise<LogReader>;
  readonly connected: boolean;
  /** Resolves true once connected, false after timeoutMs. */
  waitConnected(timeoutMs: number): Promise<boolean>;
  /** Connects (and keeps reconnecting); declare/consume may be called before or after. */
  start(): void;
  close(): Promise<void>;
};
