import { TIMESCALE_MODES } from "@sensorstream/db";
import { env, loadConfig } from "@sensorstream/runtime";
import { z } from "zod";

/**
 * `npm start`: every service in one process. Ports left unset fall back to the next free port
 * when the default is taken; a port set explicitly must be free.
 */
export const allInOneConfigSchema = z.object({
  AMQP_URL: env.url("amqp://guest:guest@localhost:5672", ["amqp:", "amqps:"]),
  DATABASE_URL: env.url("postgresql://postgres@localhost:5432/sensorstream", ["postgres:", "postgresql:"]),
  TIMESCALEDB: z.enum(TIMESCALE_MODES).default("auto"),
  /** npm start is for a laptop: open by default (and says so loudly); set required to try device security. */
  MQTT_AUTH: z.enum(["required", "open"]).default("open"),
  MQTT_MAX_CONNECTIONS: env.int(10_000, 1, 1_000_000),
  MQTT_CONNECT_RATE: env.int(20, 1, 100_000),
  ACTIVITY_INTERVAL_MS: env.int(2_000, 100, 60_000),
  CREDENTIAL_CACHE_MS: env.int(10_000, 0, 600_000),
  /** npm start registers sensors on their first status message. */
  REGISTRATION: z.enum(["auto", "manual"]).default("auto"),
  SILENT_FLOOR_S: env.int(30, 1, 86_400),
  SILENT_INTERVALS: env.int(5, 1, 1_000),
  PRESENCE_CHECK_S: env.int(5, 1, 3_600),
  MQTT_HOST: z.string().default("0.0.0.0"),
  MQTT_PORT: env.optionalPort(),
  MQTT_WS_PORT: env.optionalPort(),
  HTTP_HOST: z.string().default("0.0.0.0"),
  HTTP_PORT: env.optionalPort(),
  /** Unset: npm start makes one up and prints it (it is never built in). */
  API_TOKEN: z.string().min(16, "must be at least 16 characters (e.g. the output of openssl rand -hex 32)").optional(),
  API_READ_ACCESS: z.enum(["open", "token"]).default("open"),
  MAX_PAYLOAD_BYTES: env.int(256 * 1024, 64, 64 * 1024 * 1024),
  BUS_WAIT_MS: env.int(5_000, 0, 120_000),
  PREFETCH: env.int(4_000, 1, 65_535),
  BATCH_MAX_ROWS: env.int(5_000, 1, 1_000_000),
  BATCH_FLUSH_MS: env.int(100, 1, 60_000),
  DB_POOL_SIZE: env.int(4, 1, 100),
  RETENTION_DAYS: env.int(0, 0, 36_500),
  LOG_RETENTION_DAYS: env.int(0, 0, 36_500),
  DEMO: env.flag(true),
  DEMO_SENSORS: env.int(5, 1, 10_000),
  DEMO_RATE_HZ: env.int(2, 1, 10_000),
  /** Seconds between the live summary lines; 0 turns them off. */
  SUMMARY_INTERVAL_S: env.int(5, 0, 3600),
  DRAIN_TIMEOUT_MS: env.int(20_000, 1_000, 600_000),
  LOG_LEVEL: env.logLevel().default("warn"),
});

export type AllInOneConfig = z.output<typeof allInOneConfigSchema>;

export const loadAllInOneConfig = (
  source: Record<string, string | undefined> = process.env,
): Readonly<AllInOneConfig> => loadConfig(allInOneConfigSchema, source);

export const DEFAULT_PORTS = { MQTT_PORT: 1883, MQTT_WS_PORT: 8083, HTTP_PORT: 8080 } as const;
