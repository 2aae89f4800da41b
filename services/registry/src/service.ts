import { openBus } from "@sensorstream/bus";
import { type Presence, presenceRoutingKey } from "@sensorstream/contracts";
import { createPool, migrateWhenReachable, type TimescaleMode } from "@sensorstream/db";
import type { Health, Logger, Registry } from "@sensorstream/runtime";
import { PresenceStore } from "./adapters/presence-store.js";
import { registryMetrics } from "./metrics.js";
import { createPresenceCheck } from "./presence-check.js";
import { createBatchHandler } from "./registry-batch.js";
import { startRegistryConsumer } from "./registry-consumer.js";

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
 * Tracks every sensor from what it says (status, acks) and what the gateway sees (connections, activity):
 * presence with history, reported mode and rate, last seen, last position. Composes the pieces only; each
 * message kind has its handler in handlers/, the batch logic is registry-batch.ts, and
 * registry-consumer.ts puts it on the bus library's pipeline.
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

  const bus = openBus({ url: config.AMQP_URL, name: NAME, logger, registry });
  // A broadcast: nobody may be listening yet, so it is not mandatory.
  const announce = (p: Presence, messageId: string) =>
    bus
      .publish(presenceRoutingKey(p.sensor_id), Buffer.from(JSON.stringify(p)), { messageId, mandatory: false })
      .catch((err) => logger.warn({ err, sensor_id: p.sensor_id }, "could not publish a presence change"));

  const handler = createBatchHandler({ store, metrics, announce, clock });
  const consumer = await startRegistryConsumer({
    bus,
    name: NAME,
    handler,
    metrics,
    logger,
    registry,
    onDatabase: (ok) => {
      dbOk = ok;
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
