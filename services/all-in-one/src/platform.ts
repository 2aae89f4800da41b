import { randomBytes } from "node:crypto";
import { ensureDatabase } from "@sensorstream/db";
import type { Gateway } from "@sensorstream/gateway";
import {
  createHttpServer,
  firstFreePort,
  Health,
  isPortFree,
  type Logger,
  listen,
  mergeMetrics,
  PortInUseError,
  type Registry,
  type RunningService,
} from "@sensorstream/runtime";
import type { FastifyInstance } from "fastify";
import { type AllInOneConfig, DEFAULT_PORTS } from "./config.js";
import { PLATFORM_SERVICES } from "./services.js";
import { type ServiceThread, startServiceThread } from "./threads.js";

export type Platform = {
  mqttPort: number;
  wsPort: number | undefined;
  httpPort: number;
  http: FastifyInstance;
  health: Health;
  notes: string[];
  /** The API token in force; made up at startup when API_TOKEN is unset. */
  apiToken: string;
  /** The process's metrics, the service threads' included (what /metrics serves). */
  metrics(): Promise<Registry>;
  stop(): Promise<void>;
};

export const createdNote = (databaseUrl: string): string =>
  `created database ${new URL(databaseUrl).pathname.slice(1)}`;

/** The gateway's bound ports, in this thread or another one: what the banner prints (port 0 asks for any free one). */
type Ports = RunningService & Pick<Gateway, "mqttPort" | "wsPort">;
const isGateway = (s: RunningService): s is Ports => "mqttPort" in s && typeof s.mqttPort === "number";

type PortKey = keyof typeof DEFAULT_PORTS;

/** An explicit port must be free; an unset one moves to the next free port, and says so. */
export async function choosePort(
  config: AllInOneConfig,
  key: PortKey,
  host: string,
  notes: string[],
  preferred: number = DEFAULT_PORTS[key],
): Promise<number> {
  const explicit = config[key];
  if (explicit !== undefined) {
    if (explicit !== 0 && !(await isPortFree(explicit, host))) throw new PortInUseError(key, explicit);
    return explicit;
  }
  const port = await firstFreePort(preferred, host);
  if (port !== preferred) notes.push(`${key} ${preferred} is taken; using ${port} (set ${key} to choose)`);
  return port;
}

/**
 * Every service of the platform in one process: the same descriptions main.ts runs, sharing one
 * metrics registry, one readiness report and one HTTP server; each logs through its own child of
 * the root logger (`service` on every line). Those named in PLATFORM_THREADS run on worker threads of
 * their own (threads.ts), their metrics, checks and log lines joined to the process's.
 */
export async function startPlatform(
  config: AllInOneConfig,
  deps: { logger: Logger; registry: Registry; onThreadFailure?: (err: Error) => void },
): Promise<Platform> {
  const { logger, registry } = deps;
  const threads: ServiceThread[] = [];
  const metrics = async (): Promise<Registry> =>
    threads.length === 0
      ? registry
      : mergeMetrics([await registry.getMetricsAsJSON(), ...(await Promise.all(threads.map((t) => t.metrics())))]);
  const notes: string[] = [];
  const health = new Health();
  const created = await ensureDatabase(config.DATABASE_URL);
  if (created === "created") notes.push(createdNote(config.DATABASE_URL));

  const resolved = {
    ...config,
    MQTT_PORT: await choosePort(config, "MQTT_PORT", config.MQTT_HOST, notes),
    MQTT_WS_PORT: await choosePort(config, "MQTT_WS_PORT", config.MQTT_HOST, notes),
    HTTP_PORT: await choosePort(config, "HTTP_PORT", config.HTTP_HOST, notes),
    API_TOKEN: config.API_TOKEN ?? randomBytes(24).toString("base64url"),
  };
  const http = createHttpServer({
    registry: { contentType: registry.contentType, metrics: async () => (await metrics()).metrics() },
    health,
  });
  const startInThread = async (name: string): Promise<RunningService | Ports> => {
    const onFailure = deps.onThreadFailure ?? (() => {});
    const thread = await startServiceThread(name, resolved, { logger, health, onFailure });
    threads.push(thread);
    return thread;
  };
  const stops: Array<{ log: Logger; stop: () => Promise<void> }> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s.stop().catch((err) => s.log.error({ err }, "error while stopping"));
  };
  try {
    let mqttPort = resolved.MQTT_PORT;
    let wsPort: number | undefined = resolved.MQTT_WS_PORT;
    for (const service of PLATFORM_SERVICES) {
      const log = logger.child({ service: service.name });
      const running = config.PLATFORM_THREADS.includes(service.name)
        ? await startInThread(service.name)
        : await service.start(resolved, { logger: log, registry, health, http });
      stops.push({ log, stop: () => running.stop() });
      if (isGateway(running)) ({ mqttPort, wsPort } = running);
    }
    // Listening last: the API's routes are on this server, and fastify takes no routes once listening.
    const httpPort = await listen(http, resolved.HTTP_PORT, config.HTTP_HOST);
    stops.push({ log: logger, stop: () => http.close() });
    return { mqttPort, wsPort, httpPort, http, health, notes, apiToken: resolved.API_TOKEN, metrics, stop };
  } catch (err) {
    await stop();
    await http.close();
    throw err;
  }
}
