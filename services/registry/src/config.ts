import { TIMESCALE_MODES } from "@sensorstream/db";
import { env, loadConfig } from "@sensorstream/runtime";
import { z } from "zod";

export const registryConfigSchema = z.object({
  AMQP_URL: env.url("amqp://guest:guest@localhost:5672", ["amqp:", "amqps:"]),
  DATABASE_URL: env.url("postgresql://postgres@localhost:5432/sensorstream", ["postgres:", "postgresql:"]),
  TIMESCALEDB: z.enum(TIMESCALE_MODES).default("auto"),
  /** auto: a status message from an unknown sensor registers it; manual: only POST /api/sensors does. */
  REGISTRATION: z.enum(["auto", "manual"]).default("manual"),
  /** An online, awake sensor is silent after max(SILENT_FLOOR_S, SILENT_INTERVALS / its sample rate) seconds of quiet. */
  SILENT_FLOOR_S: env.int(30, 1, 86_400),
  SILENT_INTERVALS: env.int(5, 1, 1_000),
  /** How often presence is re-evaluated for silence. */
  PRESENCE_CHECK_S: env.int(5, 1, 3_600),
  HTTP_HOST: z.string().default("0.0.0.0"),
  HTTP_PORT: env.port(8080),
  DB_POOL_SIZE: env.int(4, 1, 100),
  DRAIN_TIMEOUT_MS: env.int(20_000, 1_000, 600_000),
  LOG_LEVEL: env.logLevel(),
});

export type RegistryConfig = z.output<typeof registryConfigSchema>;

export const loadRegistryConfig = (
  source: Record<string, string | undefined> = process.env,
): Readonly<RegistryConfig> => loadConfig(registryConfigSchema, source);
