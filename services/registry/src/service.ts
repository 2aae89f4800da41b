import { type Message, QUEUES, RabbitBus, reject, startConsumer } from "@sensorstream/bus";
import { type Presence, presenceRoutingKey } from "@sensorstream/contracts";
import { createPool, isPermanentDataError, migrateWhenReachable, type TimescaleMode } from "@sensorstream/db";
import type { Health, Logger, Registry } from "@sensorstream/runtime";
import { PresenceStore } from "./adapters/presence-store.js";
import { parseRegistryDelivery, type RegistryMessage } from "./adapters/registry-messages.js";
import { registryMetrics } from "./metrics.js";
import { createPresenceCheck } from "./presence-check.js";
import { createBatchHandler, eventCount } from "./registry-batch.js";

export type RegistrySettings = {
  AMQP_URL: string;
  DATABASE_URL: string;
  TIMESCALEDB: TimescaleMode;
  REGISTRATION: "auto" | "manual";
  SILENT_FLOOR_S: number;
  SILENT_INTERVALS: number;
  PRESENCE_CHECK_S: number;
  DB_POOL_SIZE: number;
};
export type RegistryDeps = { logger: Logger; registry: Registry; health: Health; clock?: () => number };
export type RegistryService = { stop(): Promise<void>; checkPresence(): Promise<void> };

const NAME = "registry";
/**
 * Up to this many sensor events per transaction (an activity report counts one per sensor it names), or what
 * arrived within BATCH_FLUSH_MS: 5,000 sensors connecting at once become a handful of transactions, and one
 * event alone waits at most 50 ms.
 */
const BATCH_MAX_EVENTS = 5_000;
const BATCH_FLUSH_MS = 50;
/** Enough deliveries in hand for the next batch to fill while one is applied. */
const BATCH_PREFETCH = 4_000;

/**
 * Tracks every sensor from what it says (status, acks) and what the gateway sees (connections, activity):
 * presence with history, reported mode and rate, last seen, last position. Composes the pieces only; each
 * message kind has its handler in handlers/, the batch logic is registry-batch.ts, the
 * consumer loop is the bus library's pipeline.
 */
export async function startRegistry(config: RegistrySettings, deps: RegistryDeps): Promise<RegistryService> {
  const { logger, registry, health } = deps;
  const clock = deps.clock ?? Date.now;
  const metrics = registryMetrics(registry);
  const pool = createPool({ url: config.DATABASE_URL, logger, max: config.DB_POOL_SIZE, applicationName: NAME });
  await migrateWhenReachable(pool, config.TIMESCALEDB, logger);
  let dbOk = true;
  health.register("registry_database", () => dbOk);
  const policy = { silentFloorS: config.SILENT_FLOOR_S, silentIntervals: config.SILENT_INTERVALS };
  const store = new PresenceStore(pool, policy, config.REGISTRATION);

  const bus = new RabbitBus({ url: config.AMQP_URL, name: NAME, logger, registry });
  // A broadcast: nobody may be listening yet, so it is not mandatory.
  const announce = (p: Presence, messageId: string) =>
    bus
      .publish(presenceRoutingKey(p.sensor_id), Buffer.from(JSON.stringify(p)), { messageId, mandatory: false })
      .catch((err) => logger.warn({ err, sensor_id: p.sensor_id }, "could not publish a presence change"));

  const handler = createBatchHandler({ store, metrics, announce, clock });
  const consumer = await startConsumer<RegistryMessage>({
    bus,
    name: NAME,
    queue: QUEUES.registry,
    parse: parseRegistryDelivery,
    prefetch: BATCH_PREFETCH,
    logger,
    registry,
    batch: { maxSize: BATCH_MAX_EVENTS, flushMs: BATCH_FLUSH_MS, size: eventCount },
    async handleBatch(batch) {
      const refusals = await handler.handle(batch.map((m) => m.body));
      return refusals.map((r) => ({
        message: batch[r.index] as Message<RegistryMessage>,
        ...reject("unknown_sensor", r.error),
      }));
    },
    isPermanent: isPermanentDataError,
    observe: {
      onHandled: () => {
        dbOk = true;
      },
      onTransient: (err, attempt) => {
        dbOk = false;
        logger.warn({ err, attempt }, "registry batch failed; retrying (its messages stay unacked)");
      },
      onOutcome: (outcome, n) => {
        if (outcome === "invalid") metrics.events.inc({ kind: "unknown", outcome: "invalid" }, n);
      },
    },
  });
  bus.start();
  health.register("registry_bus", () => consumer.ready);

  const check = createPresenceCheck({
    store,
    clock,
    progress: () => ({ applied: handler.applied, lagUs: handler.lagUs }),
    afterCommit: (folded) => handler.announceAll(folded),
  });
  let checking: Promise<void> = Promise.resolve();
  const checkPresence = () => {
    checking = checking.then(check).catch((err) => logger.warn({ err }, "presence check failed"));
    return checking;
  };
  const ticker = setInterval(checkPresence, config.PRESENCE_CHECK_S * 1000);
  ticker.unref();
  logger.info({ registration: config.REGISTRATION }, "registry running");

  return {
    checkPresence,
    async stop() {
      clearInterval(ticker);
      await consumer.stop();
      await checking;
      await bus.close();
      await pool.end();
    },
  };
}
