import { apiService } from "@sensorstream/api";
import { gatewayService } from "@sensorstream/gateway";
import { registryService } from "@sensorstream/registry";
import { env, httpConfig, loadConfig, mergeConfigSchemas, processConfig } from "@sensorstream/runtime";
import { z } from "zod";
import { PLATFORM_SERVICES } from "./services.js";

/** Where npm start keeps the embedded PostgreSQL (git-ignored), relative to where it runs. */
export const EMBEDDED_DIR_DEFAULT = ".sensorstream";

/**
 * What `npm start` changes for a laptop, each taken from the service's own definition (same
 * validation, same meaning) with another default. A variable two services define differently must
 * appear here, or the merge below throws: this list is the whole difference between `npm start`
 * and the services run one by one.
 */
export const NPM_START_OVERRIDES = {
  /** Open by default (and says so loudly); set required to try device security. */
  MQTT_AUTH: gatewayService.configSchema.shape.MQTT_AUTH.unwrap().default("open"),
  /** Sensors register on their first connect or status message. */
  REGISTRATION: registryService.configSchema.shape.REGISTRATION.unwrap().default("auto"),
  /** Unset: npm start makes one up and prints it (it is never built in). */
  API_TOKEN: apiService.configSchema.shape.API_TOKEN.optional(),
  API_READ_ACCESS: apiService.configSchema.shape.API_READ_ACCESS.unwrap().default("open"),
  /** warn keeps the live summary readable. */
  LOG_LEVEL: processConfig.LOG_LEVEL.unwrap().default("warn"),
  /** Unset: the default port, or the next free one when it is taken (see choosePort); set: must be free. */
  MQTT_PORT: gatewayService.configSchema.shape.MQTT_PORT.unwrap().optional(),
  MQTT_WS_PORT: gatewayService.configSchema.shape.MQTT_WS_PORT.unwrap().optional(),
  HTTP_PORT: httpConfig.HTTP_PORT.unwrap().optional(),
};

/** Services that may run in a worker thread of their own: those without HTTP routes (fastify lives in the main one). */
const THREADABLE = PLATFORM_SERVICES.filter((s) => !s.routes).map((s) => s.name);

/**
 * `gateway,alarm` → the names; `none` (or empty) → none. Each runs in its own worker thread: its own event loop, so
 * the MQTT gateway's work does not delay the ingesters' database round trips (and both cores can be used).
 */
const platformThreads = z
  .string()
  .default("gateway")
  .transform((v, ctx) => {
    const names = v
      .split(",")
      .map((n) => n.trim())
      .filter((n) => n !== "" && n !== "none");
    for (const n of names) {
      if (!THREADABLE.includes(n)) {
        ctx.addIssue({ code: "custom", message: `${n} cannot run in a thread; choose among ${THREADABLE.join(", ")}` });
      }
    }
    return [...new Set(names)];
  });

/** Read by `npm start` alone. */
const npmStartConfig = {
  PLATFORM_THREADS: platformThreads,
  DEMO: env.flag(true),
  DEMO_SENSORS: env.int(5, 1, 10_000),
  DEMO_RATE_HZ: env.int(2, 1, 10_000),
  /** Seconds between the live summary lines; 0 turns them off. */
  SUMMARY_INTERVAL_S: env.int(5, 0, 3600),
  /** How long npm start waits for PostgreSQL and for RabbitMQ to accept connections before giving up. */
  STARTUP_WAIT_S: env.int(60, 0, 3600),
  /** Where the embedded PostgreSQL keeps its data (used when DATABASE_URL is unset and nothing answers on 5432). */
  EMBEDDED_DIR: z.string().min(1).default(EMBEDDED_DIR_DEFAULT),
  /** The embedded PostgreSQL's port on 127.0.0.1 (the next free one when taken). */
  EMBEDDED_POSTGRES_PORT: env.port(5433),
};

/** `npm start`: every service in one process, configured by the union of their variables. */
export const allInOneConfigSchema = mergeConfigSchemas(
  PLATFORM_SERVICES.map((s) => s.configSchema),
  { ...NPM_START_OVERRIDES, ...npmStartConfig },
);

export type AllInOneConfig = z.output<typeof allInOneConfigSchema>;

export const loadAllInOneConfig = (
  source: Record<string, string | undefined> = process.env,
): Readonly<AllInOneConfig> => loadConfig(allInOneConfigSchema, source);

export const DEFAULT_PORTS = { MQTT_PORT: 1883, MQTT_WS_PORT: 8083, HTTP_PORT: 8080 } as const;

/** Which backing-service URLs the user set (unset ones may be replaced by the local or the embedded service). */
export const urlsSetByUser = (
  source: Record<string, string | undefined> = process.env,
): { database: boolean; bus: boolean } => ({
  database: (source.DATABASE_URL ?? "") !== "",
  bus: (source.AMQP_URL ?? "") !== "",
});
