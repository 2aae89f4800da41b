import { busConfig, databaseConfig, env, loadConfig, serviceProcessConfig } from "@sensorstream/runtime";
import { z } from "zod";

export const registryConfigSchema = z.object({
  ...busConfig,
  ...databaseConfig,
  ...serviceProcessConfig,
  /** auto: a connect or status message from an unknown sensor registers it; manual: only POST /api/sensors does. */
  REGISTRATION: z.enum(["auto", "manual"]).default("manual"),
  /** An online, awake sensor is silent after max(SILENT_FLOOR_S, SILENT_INTERVALS / its sample rate) seconds of quiet. */
  SILENT_FLOOR_S: env.int(30, 1, 86_400),
  SILENT_INTERVALS: env.int(5, 1, 1_000),
  /** How often presence is re-evaluated for silence. */
  PRESENCE_CHECK_S: env.int(5, 1, 3_600),
});

export type RegistryConfig = z.output<typeof registryConfigSchema>;

export const loadRegistryConfig = (
  source: Record<string, string | undefined> = process.env,
): Readonly<RegistryConfig> => loadConfig(registryConfigSchema, source);
