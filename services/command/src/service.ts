import { openBus } from "@sensorstream/bus";
import { CommandAdmin, type CommandRecord, devicePayload } from "@sensorstream/commands";
import { commandRoutingKey } from "@sensorstream/contracts";
import { createPool, migrateWhenReachable, type TimescaleMode } from "@sensorstream/db";
import type { Health, Logger, Registry } from "@sensorstream/runtime";
import { CommandStore } from "./adapters/command-store.js";
import { startCommandConsumer } from "./command-consumer.js";
import { BatchLookup } from "./core/batch-lookup.js";
import type { Needed } from "./core/converge.js";
import type { HandlerDeps } from "./handlers/deps.js";
import { commandMetrics } from "./metrics.js";
import { retryStale, sweepExpired } from "./sweep.js";

export type CommandSettings = {
  AMQP_URL: string;
  DATABASE_URL: string;
  TIMESCALEDB: TimescaleMode;
  DB_POOL_SIZE: number;
  COMMAND_SWEEP_S: number;
  COMMAND_RETRY_S: number;
};
export type CommandDeps = { logger: Logger; registry: Registry; health: Health; clock?: () => number };
export type CommandService = { stop(): Promise<void>; sweep(): Promise<number> };

const NAME = "command";
/** A converging command lives as long as an operator's by default (the API's DEFAULT_TTL_S). */
const CONVERGE_TTL_S = 300;

/**
 * Tracks every command from issue to a final state: gateways' delivery reports mark it sent, the sensor's ack
 * acked or failed, a periodic sweep expired; a sensor that comes back gets what it has not acked yet. The
 * commands table is the durable store (not the broker), so a restart loses nothing and resends nothing acked.
 */
export async function startCommand(config: CommandSettings, deps: CommandDeps): Promise<CommandService> {
  const { logger, registry, health } = deps;
  const clock = deps.clock ?? Date.now;
  const pool = createPool({ url: config.DATABASE_URL, logger, max: config.DB_POOL_SIZE, applicationName: NAME });
  await migrateWhenReachable(pool, config.TIMESCALEDB, logger);
  let dbOk = true;
  health.register("command_database", () => dbOk);

  const bus = openBus({ url: config.AMQP_URL, name: NAME, logger, registry });
  const store = new CommandStore(pool);
  // Not mandatory: with no gateway bound (none running, or the sensor's replica restarting) the command stays in
  // the table and is sent again when the sensor's presence says it is back (or by the retry sweep).
  const send = async (c: CommandRecord) => {
    const body = Buffer.from(JSON.stringify(devicePayload(c)));
    await bus.publish(commandRoutingKey(c.sensor_id, c.name), body, { messageId: c.command_id, mandatory: false });
    await store.published([c.command_id], new Date(clock()));
  };
  const admin = new CommandAdmin(pool, clock);
  const issue = async (sensorId: string, needed: readonly Needed[]) => {
    const out: CommandRecord[] = [];
    for (const n of needed) out.push(...(await admin.issue([sensorId], { ...n, ttlS: CONVERGE_TTL_S })));
    return out;
  };
  // A fleet reconnecting sends thousands of presence changes at once: their lookups share queries.
  const lookups = new BatchLookup((ids) => store.reachable(ids, new Date(clock())));
  const handlerDeps: HandlerDeps = {
    store,
    reachable: async (id) => (await lookups.get(id)) ?? { pending: [], settings: undefined },
    metrics: commandMetrics(registry),
    send,
    issue,
    clock,
    logger,
  };
  const consumer = await startCommandConsumer({
    bus,
    deps: handlerDeps,
    logger,
    registry,
    onDatabase: (ok) => {
      dbOk = ok;
    },
  });
  bus.start();
  health.register("command_bus", () => consumer.ready);

  let sweeping: Promise<number> = Promise.resolve(0);
  const sweep = () => {
    sweeping = sweeping
      .then(async () => (await sweepExpired(handlerDeps)) + (await retryStale(handlerDeps, config.COMMAND_RETRY_S)))
      .catch((err) => {
        logger.warn({ err }, "expiry sweep failed");
        return 0;
      });
    return sweeping;
  };
  const ticker = setInterval(sweep, config.COMMAND_SWEEP_S * 1000);
  ticker.unref();
  logger.info("command service running");

  return {
    sweep,
    async stop() {
      clearInterval(ticker);
      await consumer.stop();
      await sweeping;
      await bus.close();
      await pool.end();
    },
  };
}
