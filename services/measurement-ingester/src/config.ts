import { TIMESCALE_MODES } from "@sensorstream/db";
import { env, loadConfig } from "@sensorstream/runtime";
import { z } from "zod";

export const ingesterConfigSchema = z.object({
  AMQP_URL: env.url("amqp://guest:guest@localhost:5672", ["amqp:", "amqps:"]),
  DATABASE_URL: env.url("postgresql://postgres@localhost:5432/sensorstream", ["postgres:", "postgresql:"]),
  TIMESCALEDB: z.enum(TIMESCALE_MODES).default("auto"),
  HTTP_HOST: z.string().default("0.0.0.0"),
  HTTP_PORT: env.port(8080),
  /** Messages RabbitMQ hands out before any is acked: bounds memory and pauses consumption during an outage. */
  PREFETCH: env.int(4_000, 1, 65_535),
  BATCH_MAX_ROWS: env.int(5_000, 1, 1_000_000),
  BATCH_FLUSH_MS: env.int(100, 1, 60_000),
  DB_POOL_SIZE: env.int(4, 1, 100),
  /** Days of measurements and positions to keep; 0 keeps them forever. */
  RETENTION_DAYS: env.int(0, 0, 36_500),
  DRAIN_TIMEOUT_MS: env.int(20_000, 1_000, 600_000),
  LOG_LEVEL: env.logLevel(),
});

export type IngesterConfig = z.output<typeof ingesterConfigSchema>;

export const loadIngesterConfig = (
  source: Record<string, string | undefined> = process.env,
): Readonly<IngesterConfig> => loadConfig(ingesterConfigSchema, source);
