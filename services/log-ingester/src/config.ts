import { type IngesterConfig, ingesterConfigSchema } from "@sensorstream/measurement-ingester";
import { loadConfig } from "@sensorstream/runtime";

/**
 * The measurement ingester's variables, names, defaults and meanings unchanged: one .env configures
 * both ingesters (PREFETCH, BATCH_MAX_ROWS, ... count log lines here instead of readings).
 */
export const logIngesterConfigSchema = ingesterConfigSchema;

export type LogIngesterConfig = IngesterConfig;

export const loadLogIngesterConfig = (
  source: Record<string, string | undefined> = process.env,
): Readonly<LogIngesterConfig> => loadConfig(logIngesterConfigSchema, source);
