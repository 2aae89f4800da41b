import { ingesterConfigSchema } from "@sensorstream/measurement-ingester";
import { env, loadConfig } from "@sensorstream/runtime";
import type { z } from "zod";

/**
 * The measurement ingester's variables, names, defaults and meanings unchanged: one .env configures
 * both ingesters (PREFETCH, BATCH_MAX_ROWS, ... count log lines here instead of readings). Only
 * retention differs: log lines are kept for LOG_RETENTION_DAYS instead of RETENTION_DAYS.
 */
export const logIngesterConfigSchema = ingesterConfigSchema.omit({ RETENTION_DAYS: true }).extend({
  /** Days of sensor_logs to keep; 0 keeps them forever. */
  LOG_RETENTION_DAYS: env.int(0, 0, 36_500),
});

export type LogIngesterConfig = z.output<typeof logIngesterConfigSchema>;

export const loadLogIngesterConfig = (
  source: Record<string, string | undefined> = process.env,
): Readonly<LogIngesterConfig> => loadConfig(logIngesterConfigSchema, source);
