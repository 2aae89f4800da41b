import {
  batchConsumerConfig,
  busConfig,
  databaseConfig,
  env,
  loadConfig,
  serviceProcessConfig,
} from "@sensorstream/runtime";
import { z } from "zod";

/**
 * The same shared variables as the measurement ingester, names, defaults and meanings unchanged: one
 * .env configures both ingesters (PREFETCH, BATCH_MAX_ROWS, ... count log lines here instead of
 * readings). Only retention differs: log lines are kept for LOG_RETENTION_DAYS.
 */
export const logIngesterConfigSchema = z.object({
  ...busConfig,
  ...databaseConfig,
  ...serviceProcessConfig,
  ...batchConsumerConfig,
  /** Days of sensor_logs to keep; 0 keeps them forever. */
  LOG_RETENTION_DAYS: env.int(0, 0, 36_500),
});

export type LogIngesterConfig = z.output<typeof logIngesterConfigSchema>;

export const loadLogIngesterConfig = (
  source: Record<string, string | undefined> = process.env,
): Readonly<LogIngesterConfig> => loadConfig(logIngesterConfigSchema, source);
