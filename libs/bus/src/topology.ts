import { DEAD_LETTER_EXCHANGE, EXCHANGE, READINGS_BRIDGED_ROUTING_KEY } from "@sensorstream/contracts";
import type { Channel } from "amqplib";
import type { LogSpec } from "./log.js";

export const DEAD_LETTER_QUEUE = "dead_letters";

export type QueueSpec = {
  name: string;
  /** Binding keys on the sensor_streaming exchange. */
  bindings: readonly string[];
  /**
   * Binding keys this queue had in earlier versions and must lose: declare removes them (idempotent: a binding
   * that is not there is fine), so an upgraded deployment stops routing those messages into it.
   */
  retiredBindings?: readonly string[];
  /** Messages the queue holds before it refuses publishes (the gateway then withholds PUBACKs). */
  maxLength: number;
  /** Redeliveries before RabbitMQ dead-letters a message that keeps failing (set explicitly: 3.x and 4.x differ). */
  deliveryLimit: number;
  /**
   * A per-replica queue (e.g. gateway.<id>): it lives as long as the bus's connection (RabbitMQ: exclusive,
   * auto-deleted, not durable), is declared again on every reconnect, and is gone once its last consumer leaves.
   * Best effort by design: past maxLength the oldest message is dropped (drop-head), deliveryLimit does not apply and
   * nothing is dead-lettered. For broadcasts every replica must see and whose owner sends again.
   */
  transient?: boolean;
  /**
   * A durable queue when full: "reject-publish" (the default: the publisher is refused, so the gateway withholds
   * PUBACKs and nothing is lost) or "drop-head" (the oldest message goes). drop-head is for a copy whose loss costs
   * less than stalling the data path (alarms.input: a stopped alarm service must not stop ingestion). Such a queue has
   * no dead-letter exchange (RabbitMQ would dead-letter every dropped message, flooding dead_letters with good
   * readings), so a delivery past its limit is dropped too; the pipeline's own dead letters (bad input) still go out.
   */
  overflow?: "reject-publish" | "drop-head";
};

/**
 * Every queue of the platform. Queue arguments are fixed here on purpose: a queue's arguments
 * cannot change once it exists (RabbitMQ answers PRECONDITION_FAILED), so changing one is a
 * migration (delete and re-create, or move the setting into a policy).
 */
export const QUEUES = {
  // The gateways' readings.bridged (a turn's data messages in one message), no longer every *.data message: one queue
  // entry per gateway turn instead of one per data message (docs/performance.md, fifth round).
  measurements: {
    name: "measurements",
    bindings: [READINGS_BRIDGED_ROUTING_KEY],
    retiredBindings: ["*.data"],
    maxLength: 5_000_000,
    deliveryLimit: 20,
  },
  logs: { name: "logs", bindings: ["*.logs"], maxLength: 1_000_000, deliveryLimit: 20 },
  registry: {
    name: "registry",
    bindings: ["*.status", "*.commands.ack", "*.connection", "gateway.activity"],
    maxLength: 1_000_000,
    deliveryLimit: 20,
  },
  // The command service's own queue: sensors' acks, gateways' delivery reports, and presence (to resend what a
  // sensor that came back has not acked). Acks reach the registry too (presence: the sensor was heard from).
  commandAcks: {
    name: "command.acks",
    bindings: ["*.commands.ack", "*.commands.delivered", "*.presence"],
    maxLength: 1_000_000,
    deliveryLimit: 20,
  },
  // The alarm service's own copy of every reading: alarms are evaluated independently of the ingesters (a slow
  // database write of measurements does not delay an alert, and the other way round). Replicas compete on it.
  // drop-head: if the alarm service is down long enough to fill it, its oldest readings go, and ingestion goes on.
  // It takes the gateways' readings.bridged (a turn's data messages in one message), no longer every *.data message.
  alarmsInput: {
    name: "alarms.input",
    bindings: [READINGS_BRIDGED_ROUTING_KEY],
    retiredBindings: ["*.data"],
    maxLength: 5_000_000,
    deliveryLimit: 20,
    overflow: "drop-head",
  },
  // One small queue per data owner for sensor deletions: each owner purges its own tables (see libs/ingest).
  measurementsPurge: { name: "measurements.purge", bindings: ["*.deleted"], maxLength: 100_000, deliveryLimit: 20 },
  logsPurge: { name: "logs.purge", bindings: ["*.deleted"], maxLength: 100_000, deliveryLimit: 20 },
} as const satisfies Record<string, QueueSpec>;

/** The retired binding keys declare removes: those a queue no longer lists in its bindings (a key in both stays). */
export function retiredKeys(q: QueueSpec): string[] {
  return (q.retiredBindings ?? []).filter((key) => !q.bindings.includes(key));
}

export function queueArguments(q: QueueSpec): Record<string, unknown> {
  if (q.overflow === "drop-head") {
    return {
      "x-queue-type": "quorum",
      "x-delivery-limit": q.deliveryLimit,
      "x-overflow": "drop-head",
      "x-max-length": q.maxLength,
    };
  }
  return {
    "x-queue-type": "quorum",
    "x-delivery-limit": q.deliveryLimit,
    "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
    // at-least-once dead-lettering (quorum queues, 3.10+) needs reject-publish overflow.
    "x-dead-letter-strategy": "at-least-once",
    "x-overflow": "reject-publish",
    "x-max-length": q.maxLength,
  };
}

/** A transient queue on RabbitMQ: a classic queue of this connection alone, bounded, dropping its oldest. */
function transientQueueOptions(q: QueueSpec) {
  return {
    durable: false,
    exclusive: true,
    autoDelete: true,
    arguments: { "x-max-length": q.maxLength, "x-overflow": "drop-head" },
  };
}

/** Declares the exchanges, the dead-letter queue and the given queues with their bindings. Idempotent. */
export async function declareTopology(ch: Channel, queues: readonly QueueSpec[]): Promise<void> {
  await ch.assertExchange(EXCHANGE, "topic", { durable: true });
  await ch.assertExchange(DEAD_LETTER_EXCHANGE, "topic", { durable: true });
  await ch.assertQueue(DEAD_LETTER_QUEUE, {
    durable: true,
    // The dead-letter queue keeps the newest million; beyond that the oldest go first.
    arguments: { "x-queue-type": "quorum", "x-max-length": 1_000_000, "x-overflow": "drop-head" },
  });
  await ch.bindQueue(DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE, "#");
  for (const q of queues) {
    if (q.transient) await ch.assertQueue(q.name, transientQueueOptions(q));
    else await ch.assertQueue(q.name, { durable: true, arguments: queueArguments(q) });
    for (const key of q.bindings) await ch.bindQueue(q.name, EXCHANGE, key);
    // RabbitMQ answers unbind-ok for a binding that is not there (checked on 3.10), so this stays idempotent.
    for (const key of retiredKeys(q)) await ch.unbindQueue(q.name, EXCHANGE, key);
  }
}

/**
 * Append-only logs (stream queues, see log.ts). `live`: what the API's live stream (SSE) serves and resumes from,
 * on every replica alike: committed readings, presence changes and alarm events, kept 15 minutes (the documented
 * Last-Event-ID window) and at most 1 GiB. Like a queue's, these arguments cannot change once the log exists.
 */
export const LOGS = {
  live: {
    name: "live.events",
    bindings: ["readings.committed", "*.presence", "*.alarms.trigger"],
    maxAgeSeconds: 900,
    maxBytes: 1024 ** 3,
  },
} as const satisfies Record<string, LogSpec>;
