import { inTransaction, SEVERITIES } from "@sensorstream/alarms";
import { openBus } from "@sensorstream/bus";
import { createPool, migrateWhenReachable, type Pool, type TimescaleMode } from "@sensorstream/db";
import type { Health, Logger, Registry } from "@sensorstream/runtime";
import { SensorScopeReader } from "@sensorstream/sensors";
import { AlarmTx } from "./adapters/alarm-tx.js";
import { drainOutbox } from "./adapters/outbox-publisher.js";
import { RuleSource } from "./adapters/rule-source.js";
import { SensorTypes } from "./adapters/sensor-types.js";
import { startAlarmConsumer } from "./alarm-consumer.js";
import type { BatchDeps } from "./handlers/evaluate-batch.js";
import { sweepNoData } from "./handlers/no-data-sweep.js";
import { type AlarmMetrics, alarmMetrics, countAlerts } from "./metrics.js";
import { OneAtATime } from "./one-at-a-time.js";

export type AlarmSettings = {
  AMQP_URL: string;
  DATABASE_URL: string;
  TIMESCALEDB: TimescaleMode;
  DB_POOL_SIZE: number;
  PREFETCH: number;
  BATCH_MAX_ROWS: number;
  BATCH_FLUSH_MS: number;
  ALARM_RULES_POLL_MS: number;
  ALARM_NO_DATA_CHECK_S: number;
};
export type AlarmDeps = { logger: Logger; registry: Registry; health: Health; clock?: () => number };
export type AlarmService = {
  stop(): Promise<void>;
  /** Runs the no-data check now (tests; it also runs every ALARM_NO_DATA_CHECK_S). */
  sweep(): Promise<number>;
};

const NAME = "alarm";
/** How often queued alerts (from the API's acks and rule deletions, or a crash before publishing) are published. */
const OUTBOX_POLL_MS = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Evaluates every reading (alarms.input) against the rules, keeps alarms in its tables and publishes each raise,
 * clear and ack as an alert. State is in PostgreSQL (per rule and sensor, by reading time), so replicas can
 * compete on the queue and a restart neither forgets nor raises again; alerts go through an outbox.
 */
export async function startAlarm(config: AlarmSettings, deps: AlarmDeps): Promise<AlarmService> {
  const { logger, registry, health } = deps;
  const clock = deps.clock ?? Date.now;
  const metrics = alarmMetrics(registry);
  const pool = createPool({ url: config.DATABASE_URL, logger, max: config.DB_POOL_SIZE, applicationName: NAME });
  await migrateWhenReachable(pool, config.TIMESCALEDB, logger);
  let dbOk = true;
  health.register("alarm_database", () => dbOk);

  const rules = new RuleSource(pool);
  await loadRules(rules, logger);
  metrics.rules.set(rules.rules.count);

  const bus = openBus({ url: config.AMQP_URL, name: NAME, logger, registry });
  const outbox = new OneAtATime(
    async () => {
      let total = 0;
      for (let n = await drainOutbox(pool, bus); n > 0; n = await drainOutbox(pool, bus)) total += n;
      metrics.published.inc(total);
      return total;
    },
    (err) => logger.warn({ err }, "publishing alerts failed; they stay queued and are published again"),
  );

  const sensors = new SensorScopeReader(pool);
  const types = new SensorTypes(sensors);
  const batchDeps: BatchDeps = {
    rules: () => rules.rules,
    types: (ids) => types.of(ids),
    transaction: (work) => inTransaction(pool, (c) => work(new AlarmTx(c))),
  };
  const consumer = await startAlarmConsumer({
    bus,
    deps: batchDeps,
    batch: { prefetch: config.PREFETCH, maxRows: config.BATCH_MAX_ROWS, flushMs: config.BATCH_FLUSH_MS },
    metrics,
    logger,
    registry,
    clock,
    onAlerts: () => void outbox.run(),
    onDatabase: (ok) => {
      dbOk = ok;
    },
  });
  bus.start();
  health.register("alarm_bus", () => consumer.ready);

  const noData = new OneAtATime(
    async () => {
      const alerts = await sweepNoData({ ...batchDeps, awake: () => sensors.awake(), clock });
      countAlerts(metrics, alerts);
      if (alerts.length) await outbox.run();
      await refreshOpenGauge(pool, metrics);
      return alerts.length;
    },
    (err) => logger.warn({ err }, "no-data check failed"),
  );
  const timers = [
    setInterval(() => void reloadRules(rules, metrics, logger), config.ALARM_RULES_POLL_MS),
    setInterval(() => void outbox.run(), OUTBOX_POLL_MS),
    setInterval(() => void noData.run(), config.ALARM_NO_DATA_CHECK_S * 1000),
  ];
  for (const t of timers) t.unref();
  logger.info({ rules: rules.rules.count }, "alarm service running");

  return {
    sweep: () => noData.run(),
    async stop() {
      for (const t of timers) clearInterval(t);
      await consumer.stop();
      await noData.idle();
      await outbox.run();
      await bus.close();
      await pool.end();
    },
  };
}

/** Evaluating without the rules would miss alarms: the queue waits until they are loaded. */
async function loadRules(rules: RuleSource, logger: Logger): Promise<void> {
  for (;;) {
    try {
      await rules.refresh();
      return;
    } catch (err) {
      logger.warn({ err }, "could not load alarm rules; retrying");
      await sleep(1_000);
    }
  }
}

/** A rule change reaches this replica at the next poll (docs/alarms.md: within ALARM_RULES_POLL_MS). */
async function reloadRules(rules: RuleSource, metrics: AlarmMetrics, logger: Logger): Promise<void> {
  try {
    if (await rules.refresh()) {
      metrics.rules.set(rules.rules.count);
      logger.info({ rules: rules.rules.count }, "alarm rules reloaded");
    }
  } catch (err) {
    logger.warn({ err }, "reloading alarm rules failed");
  }
}

async function refreshOpenGauge(pool: Pool, metrics: AlarmMetrics): Promise<void> {
  const r = await pool.query<{ severity: string; n: number }>(
    "SELECT severity, count(*)::int AS n FROM alarms WHERE state <> 'cleared' GROUP BY severity",
  );
  const by = new Map(r.rows.map((row) => [row.severity, row.n]));
  for (const s of SEVERITIES) metrics.open.set({ severity: s }, by.get(s) ?? 0);
}
