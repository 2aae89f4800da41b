import {
  batchConsumerConfig,
  busConfig,
  databaseConfig,
  env,
  loadConfig,
  serviceProcessConfig,
} from "@sensorstream/runtime";
import { z } from "zod";

export const ingesterConfigSchema = z.object({
  ...busConfig,
  ...databaseConfig,
  ...serviceProcessConfig,
  ...batchConsumerConfig,
  /** Days of measurements and positions to keep; 0 keeps them forever. */
  RETENTION_DAYS: env.int(0, 0, 36_500),
});

export type IngesterConfig = z.output<typeof ingesterConfigSchema>;

export const loadIngesterConfig = (
  source: Record<string, string | undefined> = process.env,
): Readonly<IngesterConfig> => loadConfig(ingesterConfigSchema, source);
