import { z } from "zod";
import { env } from "./config.js";

/**
 * Variables that more than one service reads, each defined once. A service's config schema spreads
 * the fragments it needs (`z.object({ ...busConfig, ...httpConfig, ... })`) or takes single
 * entries (`DATABASE_URL: databaseConfig.DATABASE_URL`); it never redefines them. The all-in-one
 * schema is merged from the services' schemas, so the same zod value reaching it from two services
 * is one definition, not a conflict.
 */

/** The bus: RabbitMQ (amqp, amqps), or the embedded bus in a PostgreSQL database (postgres, postgresql). */
export const busConfig = {
  AMQP_URL: env.url("amqp://guest:guest@localhost:5672", ["amqp:", "amqps:", "postgres:", "postgresql:"]),
};

/** How a service that owns tables treats TimescaleDB (the same values as @sensorstream/db's TimescaleMode). */
export const TIMESCALE_MODES = ["auto", "require", "off"] as const;

/** PostgreSQL: the URL, the pool of a service that keeps one, and TimescaleDB use for a service that migrates. */
export const databaseConfig = {
  DATABASE_URL: env.url("postgresql://postgres@localhost:5432/sensorstream", ["postgres:", "postgresql:"]),
  TIMESCALEDB: z.enum(TIMESCALE_MODES).default("auto"),
  DB_POOL_SIZE: env.int(4, 1, 100),
};

/** The process's HTTP server: /metrics, /healthz, /readyz (and the routes of a service that has some). */
export const httpConfig = {
  HTTP_HOST: z.string().default("0.0.0.0"),
  HTTP_PORT: env.port(8080),
};

/** What every service process reads: log level and the drain after SIGTERM. */
export const processConfig = {
  LOG_LEVEL: env.logLevel(),
  DRAIN_TIMEOUT_MS: env.int(20_000, 1_000, 600_000),
};

/** A consumer that writes in batches (the ingesters): flow control and batch shape. */
export const batchConsumerConfig = {
  /** Messages RabbitMQ hands out before any is acked: bounds memory and pauses consumption during an outage. */
  PREFETCH: env.int(4_000, 1, 65_535),
  BATCH_MAX_ROWS: env.int(5_000, 1, 1_000_000),
  BATCH_FLUSH_MS: env.int(100, 1, 60_000),
};

/** Every service process: its HTTP server and process settings. */
export const serviceProcessConfig = { ...httpConfig, ...processConfig };
