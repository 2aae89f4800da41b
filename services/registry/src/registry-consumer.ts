import { type Bus, type Message, QUEUES, reject, startConsumer } from "@sensorstream/bus";
import { isPermanentDataError } from "@sensorstream/db";
import type { Logger, Registry } from "@sensorstream/runtime";
import { parseRegistryDelivery, type RegistryMessage } from "./adapters/registry-messages.js";
import type { RegistryMetrics } from "./metrics.js";
import { type createBatchHandler, eventCount } from "./registry-batch.js";

/**
 * Up to this many sensor events per transaction (an activity report counts one per sensor it names), or what
 * arrived within BATCH_FLUSH_MS (while a batch is written the next keeps filling): 5,000 sensors connecting at
 * once become a handful of transactions, and one event alone waits at most 50 ms.
 */
const BATCH_MAX_EVENTS = 5_000;
const BATCH_FLUSH_MS = 50;
/** Enough deliveries in hand for the next batch to fill while one is applied. */
const BATCH_PREFETCH = 4_000;

/** The `registry` queue on the bus pipeline, with the registry's batch handler. */
export function startRegistryConsumer(o: {
  bus: Bus;
  name: string;
  handler: ReturnType<typeof createBatchHandler>;
  metrics: RegistryMetrics;
  logger: Logger;
  registry: Registry;
  onDatabase: (ok: boolean) => void;
}) {
  return startConsumer<RegistryMessage>({
    bus: o.bus,
    name: o.name,
    queue: QUEUES.registry,
    parse: parseRegistryDelivery,
    prefetch: BATCH_PREFETCH,
    logger: o.logger,
    registry: o.registry,
    batch: { maxSize: BATCH_MAX_EVENTS, flushMs: BATCH_FLUSH_MS, size: eventCount },
    async handleBatch(batch) {
      const refusals = await o.handler.handle(batch.map((m) => m.body));
      return refusals.map((r) => ({
        message: batch[r.index] as Message<RegistryMessage>,
        ...reject("unknown_sensor", r.error),
      }));
    },
    isPermanent: isPermanentDataError,
    observe: {
      onHandled: () => o.onDatabase(true),
      onTransient: (err, attempt) => {
        o.onDatabase(false);
        o.logger.warn({ err, attempt }, "registry batch failed; retrying (its messages stay unacked)");
      },
      onOutcome: (outcome, n) => {
        if (outcome === "invalid") o.metrics.events.inc({ kind: "unknown", outcome: "invalid" }, n);
      },
    },
  });
}
