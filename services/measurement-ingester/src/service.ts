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
  describeIssues,
  EXCHANGE,
  type MeasurementMessage,
  measurementMessageSchema,
  microsOf,
  sensorIdFromRoutingKey,
} from "@sensorstream/contracts";
import { createPool, MigrationError, migrate, type TimescaleMode } from "@sensorstream/db";
import { backoff, type Health, type Logger, type Registry, sleep } from "@sensorstream/runtime";
import { ingesterMetrics } from "./adapters/metrics.js";
import { PgMeasurementStore } from "./adapters/pg-store.js";
import { Batcher, type Pending } from "./core/batcher.js";

export type IngesterSettings = {
  AMQP_URL: string;
  DATABASE_URL: string;
  TIMESCALEDB: TimescaleMode;
  PREFETCH: number;
  BATCH_MAX_ROWS: number;
  BATCH_FLUSH_MS: number;
  DB_POOL_SIZE: number;
};
export type IngesterDeps = { logger: Logger; registry: Registry; health: Health; clock?: () => number; name?: string };
export type Ingester = { stop(): Promise<void> };

const SOURCE = "measurement-ingester";

/**
 * Consumes `measurements`, writes readings in batches, acks after commit. Replicas compete on the
 * same queue; replays are harmless because every row is keyed by (sensor_id, metric, time).
 */
export async function startMeasurementIngester(config: IngesterSettings, deps: IngesterDeps): Promise<Ingester> {
  const { logger, registry, health } = deps;
  const clock = deps.clock ?? Date.now;
  const metrics = ingesterMetrics(registry);
  const pool = createPool({ url: config.DATABASE_URL, logger, max: config.DB_POOL_SIZE, applicationName: SOURCE });
  let dbOk = false;
  health.register("ingester_database", () => dbOk);

  // The schema must exist before the first write; an unreachable database is waited for, not fatal.
  const stopping = new AbortController();
  const wait = backoff(500, 10_000);
  for (;;) {
    try {
      const flavor = await migrate(pool, { logger, timescale: config.TIMESCALEDB });
      logger.info({ timescaledb: flavor.timescale ? flavor.version : false }, "database schema ready");
      dbOk = true;
      break;
    } catch (err) {
      if (err instanceof MigrationError) {
        await pool.end();
        throw err;
      }
      logger.warn({ err }, "database unavailable; retrying");
      await sleep(wait.next(), stopping.signal);
    }
  }

  const store = new PgMeasurementStore(pool);
  const bus = new BusConnection({ url: config.AMQP_URL, name: deps.name ?? SOURCE, logger, registry });
  await bus.addSetup(async (conn) => {
    const ch = await conn.createChannel();
    await declareTopology(ch, [QUEUES.measurements]);
    await ch.close();
  });
  const publisher = new ConfirmPublisher(bus, { exchange: EXCHANGE, logger, registry });
  await publisher.attach();
  const deadLetters = new DeadLetterPublisher(publisher, registry);
  const retry = backoff(200, 5_000);

  let pending = 0;
  const settle = () => {
    pending = Math.max(0, pending - 1);
    metrics.pending.set(pending);
  };
  const batcher = new Batcher({
    store,
    maxRows: config.BATCH_MAX_ROWS,
    flushMs: config.BATCH_FLUSH_MS,
    retryDelay: (attempt) => sleep(attempt === 1 ? (retry.reset(), retry.next()) : retry.next(), stopping.signal),
    onWritten(messages, result, seconds) {
      dbOk = true;
      metrics.batchSeconds.observe(seconds);
      const now = clock();
      let readings = 0;
      for (const m of messages) {
        readings += m.readings.length;
        for (const r of m.readings) metrics.e2eSeconds.observe(Math.max(0, now - microsOf(r.time) / 1000) / 1000);
      }
      metrics.readings.inc(readings);
      metrics.messages.inc({ outcome: "ok" }, messages.length);
      metrics.rows.inc({ table: "all", outcome: "inserted" }, result.inserted);
      metrics.rows.inc({ table: "all", outcome: "duplicate" }, result.duplicates);
      metrics.batchRows.observe(result.measurements + result.positions);
    },
    onTransient(err, attempt) {
      dbOk = false;
      metrics.transientErrors.inc();
      logger.warn({ err, attempt }, "batch write failed; will retry (messages stay unacked)");
    },
    onRejected(p, error) {
      metrics.messages.inc({ outcome: "permanent" });
      logger.warn({ sensor_id: p.message.sensor_id, msg_id: p.message.msg_id, error }, "dead-lettering a message");
    },
  });

  const reject = async (d: Delivery, reason: "invalid_payload" | "permanent_store_error", error: string) => {
    await deadLetters.publish({
      reason,
      error,
      source: SOURCE,
      body: d.content,
      messageId: d.messageId ?? `dl-${clock()}`,
      routingKey: d.routingKey,
      ...(sensorIdFromRoutingKey(d.routingKey) ? { sensorId: sensorIdFromRoutingKey(d.routingKey) as string } : {}),
    });
    d.ack();
  };

  const onMessage = (d: Delivery) => {
    pending++;
    metrics.pending.set(pending);
    const parsed = parse(d);
    if (!parsed.ok) {
      metrics.messages.inc({ outcome: "invalid" });
      logger.warn(
        { routing_key: d.routingKey, msg_id: d.messageId, error: parsed.error },
        "dead-lettering invalid message",
      );
      reject(d, "invalid_payload", parsed.error).then(settle, (err) => {
        settle();
        logger.warn({ err }, "could not dead-letter; the message will be redelivered");
      });
      return;
    }
    const p: Pending = {
      message: parsed.message,
      live: d.live,
      ack: () => {
        d.ack();
        settle();
      },
      reject: async (error) => {
        await reject(d, "permanent_store_error", error);
        settle();
      },
    };
    batcher.add(p);
  };

  const consumer = new QueueConsumer(bus, {
    queue: QUEUES.measurements.name,
    prefetch: config.PREFETCH,
    logger,
    onMessage,
    onChannelLost: () => {
      pending = 0;
      metrics.pending.set(0);
    },
  });
  await consumer.attach();
  bus.start();
  health.register("ingester_bus", () => consumer.ready);
  logger.info({ queue: QUEUES.measurements.name, prefetch: config.PREFETCH }, "measurement ingester consuming");

  return {
    async stop() {
      consumer.pause();
      await batcher.flush();
      batcher.stop();
      stopping.abort();
      await consumer.close();
      await bus.close();
      await pool.end();
    },
  };
}

function parse(d: Delivery): { ok: true; message: MeasurementMessage } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(d.content.toString("utf8"));
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const r = measurementMessageSchema.safeParse(json);
  if (!r.success) return { ok: false, error: describeIssues(r.error.issues) };
  const fromKey = sensorIdFromRoutingKey(d.routingKey);
  if (fromKey !== r.data.sensor_id) {
    return { ok: false, error: `routing key ${d.routingKey} does not match sensor_id ${r.data.sensor_id}` };
  }
  return { ok: true, message: r.data };
}
