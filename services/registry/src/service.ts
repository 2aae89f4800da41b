import {
  BusConnection,
  ConfirmPublisher,
  DeadLetterPublisher,
  type Delivery,
  declareTopology,
  QUEUES,
  QueueConsumer,
} from "@sensorstream/bus";
import {
  EXCHANGE,
  formatMicros,
  microsOf,
  type Presence,
  presenceRoutingKey,
  sensorIdFromRoutingKey,
} from "@sensorstream/contracts";
import { createPool, migrateWhenReachable, type TimescaleMode } from "@sensorstream/db";
import { backoff, counter, type Health, type Logger, type Registry, sleep } from "@sensorstream/runtime";
import { PresenceStore } from "./adapters/presence-store.js";
import { parseRegistryDelivery, type RegistryMessage } from "./adapters/registry-messages.js";
import type { PresenceEvent, Transition } from "./core/presence.js";

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
 * Tracks every sensor from what it says (status, acks) and what the gateway sees (connections,
 * activity): presence with history, reported mode and rate, last seen, last position. Each presence
 * transition is published as sensor_<id>.presence.
 */
export async function startRegistry(config: RegistrySettings, deps: RegistryDeps): Promise<RegistryService> {
  const { logger, registry, health } = deps;
  const clock = deps.clock ?? Date.now;
  const metrics = {
    events: counter(registry, {
      name: "sensorstream_registry_events_total",
      help: "Events applied by the registry, by kind and outcome (applied, stale, unknown_sensor, invalid)",
      labelNames: ["kind", "outcome"],
    }),
    transitions: counter(registry, {
      name: "sensorstream_registry_presence_transitions_total",
      help: "Presence transitions, by new state",
      labelNames: ["state"],
    }),
  };
  const pool = createPool({ url: config.DATABASE_URL, logger, max: config.DB_POOL_SIZE, applicationName: NAME });
  await migrateWhenReachable(pool, config.TIMESCALEDB, logger);
  let dbOk = true;
  health.register("registry_database", () => dbOk);
  const store = new PresenceStore(
    pool,
    { silentFloorS: config.SILENT_FLOOR_S, silentIntervals: config.SILENT_INTERVALS },
    config.REGISTRATION,
  );

  const bus = new BusConnection({ url: config.AMQP_URL, name: NAME, logger, registry });
  await bus.addSetup(async (conn) => {
    const ch = await conn.createChannel();
    await declareTopology(ch, [QUEUES.registry]);
    await ch.close();
  });
  const publisher = new ConfirmPublisher(bus, { exchange: EXCHANGE, logger, registry });
  await publisher.attach();
  const deadLetters = new DeadLetterPublisher(publisher, registry);

  const announce = async (sensorId: string, t: Transition, us: number) => {
    metrics.transitions.inc({ state: t.to });
    const presence: Presence = { sensor_id: sensorId, state: t.to, previous: t.from, ts: formatMicros(us) };
    // A broadcast: nobody may be listening yet, so it is not mandatory.
    await publisher
      .publish(presenceRoutingKey(sensorId), Buffer.from(JSON.stringify(presence)), {
        messageId: `${sensorId}-${us}-${t.to}`,
        mandatory: false,
      })
      .catch((err) => logger.warn({ err, sensor_id: sensorId }, "could not publish a presence change"));
  };

  const applyOne = async (sensorId: string, event: PresenceEvent, m?: RegistryMessage) => {
    const status = m?.kind === "status" ? m.message.status : undefined;
    const r = await store.apply(sensorId, event, status);
    const kind = m?.kind ?? event.type;
    if (r.outcome === "unknown_sensor") {
      metrics.events.inc({ kind, outcome: "unknown_sensor" });
      return "unknown_sensor" as const;
    }
    metrics.events.inc({ kind, outcome: r.stale ? "stale" : "applied" });
    if (r.transition) await announce(sensorId, r.transition, event.us);
    return "applied" as const;
  };

  /** Returns a reason to dead-letter, or undefined when the message was applied. */
  const handle = async (m: RegistryMessage): Promise<string | undefined> => {
    switch (m.kind) {
      case "status": {
        const s = m.message.status;
        const event: PresenceEvent = {
          type: "status",
          us: microsOf(m.message.received_at),
          state: s.state,
          mode: s.mode,
          sampleHz: s.sample_hz,
        };
        return (await applyOne(m.message.sensor_id, event, m)) === "unknown_sensor"
          ? `sensor ${m.message.sensor_id} is not registered (REGISTRATION=manual)`
          : undefined;
      }
      case "connection": {
        const e = m.message;
        await applyOne(e.sensor_id, { type: "connection", us: microsOf(e.received_at), connected: e.connected }, m);
        return undefined;
      }
      case "ack": {
        const us = microsOf(m.message.received_at);
        await store.touch([{ sensorId: m.message.sensor_id, us }]);
        metrics.events.inc({ kind: "ack", outcome: "applied" });
        return undefined;
      }
      case "activity": {
        const seen = m.message.sensors.map((x) => ({
          sensorId: x.sensor_id,
          us: microsOf(x.last_seen),
          lat: x.lat,
          lon: x.lon,
          positionUs: x.position_at === undefined ? undefined : microsOf(x.position_at),
        }));
        const revive = await store.touch(seen);
        for (const r of revive) await applyOne(r.sensorId, { type: "activity", us: r.us });
        metrics.events.inc({ kind: "activity", outcome: "applied" });
        return undefined;
      }
      default: {
        const never: never = m;
        return never;
      }
    }
  };

  // Events of one sensor must apply in order: one at a time, in delivery order.
  let chain: Promise<void> = Promise.resolve();
  let stopping = false;
  const retry = backoff(200, 5_000);
  const processDelivery = async (d: Delivery) => {
    const parsed = parseRegistryDelivery(d);
    let reason: string | undefined;
    if (!parsed.ok) {
      metrics.events.inc({ kind: "unknown", outcome: "invalid" });
      reason = parsed.error;
    } else {
      for (let attempt = 1; ; attempt++) {
        if (!d.live() || stopping) return;
        try {
          reason = await handle(parsed.value);
          dbOk = true;
          retry.reset();
          break;
        } catch (err) {
          dbOk = false;
          logger.warn({ err, attempt }, "registry update failed; retrying");
          await sleep(retry.next());
        }
      }
    }
    if (reason !== undefined) {
      const sensorId = sensorIdFromRoutingKey(d.routingKey);
      await deadLetters.publish({
        reason: parsed.ok ? "unknown_sensor" : "invalid_payload",
        error: reason,
        source: NAME,
        body: d.content,
        messageId: d.messageId ?? `${NAME}-${clock()}`,
        routingKey: d.routingKey,
        ...(sensorId === undefined ? {} : { sensorId }),
      });
      logger.warn({ routing_key: d.routingKey, error: reason }, "dead-lettered a registry event");
    }
    d.ack();
  };
  const consumer = new QueueConsumer(bus, {
    queue: QUEUES.registry.name,
    prefetch: 200,
    logger,
    onMessage: (d) => {
      chain = chain
        .then(() => processDelivery(d))
        .catch((err) => logger.warn({ err }, "registry event not settled; it will be redelivered"));
    },
  });
  await consumer.attach();
  bus.start();
  health.register("registry_bus", () => consumer.ready);

  const checkPresence = async () => {
    const now = clock() * 1000;
    for (const id of await store.silentCandidates(now)) await applyOne(id, { type: "tick", us: now });
  };
  const ticker = setInterval(() => {
    chain = chain.then(checkPresence).catch((err) => logger.warn({ err }, "presence check failed"));
  }, config.PRESENCE_CHECK_S * 1000);
  ticker.unref();
  logger.info({ registration: config.REGISTRATION }, "registry running");

  return {
    checkPresence: () => {
      chain = chain.then(checkPresence);
      return chain;
    },
    async stop() {
      clearInterval(ticker);
      consumer.pause();
      stopping = true;
      await chain.catch(() => {});
      await consumer.close();
      await bus.close();
      await pool.end();
    },
  };
}
