import { randomBytes } from "node:crypto";
import { registerApi } from "@sensorstream/api";
import { createPool, ensureDatabase } from "@sensorstream/db";
import { type Gateway, startGateway } from "@sensorstream/gateway";
import { startLogIngester } from "@sensorstream/log-ingester";
import { type Ingester, startMeasurementIngester } from "@sensorstream/measurement-ingester";
import { startRegistry } from "@sensorstream/registry";
import {
  createHttpServer,
  firstFreePort,
  Health,
  isPortFree,
  type Logger,
  listen,
  PortInUseError,
  type Registry,
} from "@sensorstream/runtime";
import type { FastifyInstance } from "fastify";
import { type AllInOneConfig, DEFAULT_PORTS } from "./config.js";

export type Platform = {
  mqttPort: number;
  wsPort: number | undefined;
  httpPort: number;
  http: FastifyInstance;
  health: Health;
  notes: string[];
  /** The API token in force; made up at startup when API_TOKEN is unset. */
  apiToken: string;
  stop(): Promise<void>;
};

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

/** Every service of the platform in one process, sharing one metrics registry and one HTTP server. */
export async function startPlatform(
  config: AllInOneConfig,
  deps: { logger: Logger; registry: Registry },
): Promise<Platform> {
  const { logger, registry } = deps;
  const notes: string[] = [];
  const health = new Health();
  const created = await ensureDatabase(config.DATABASE_URL);
  if (created === "created") notes.push(`created database ${new URL(config.DATABASE_URL).pathname.slice(1)}`);

  const mqttPort = await choosePort(config, "MQTT_PORT", config.MQTT_HOST, notes);
  const wsPort = await choosePort(config, "MQTT_WS_PORT", config.MQTT_HOST, notes);
  const httpPort = await choosePort(config, "HTTP_PORT", config.HTTP_HOST, notes);

  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => logger.error({ err }, "error while stopping"));
  };
  try {
    const ingester: Ingester = await startMeasurementIngester(config, { logger, registry, health });
    stops.push(() => ingester.stop());
    const logs = await startLogIngester(config, { logger, registry, health });
    stops.push(() => logs.stop());
    const sensors = await startRegistry(config, { logger, registry, health });
    stops.push(() => sensors.stop());
    const gateway: Gateway = await startGateway(
      { ...config, MQTT_PORT: mqttPort, MQTT_WS_PORT: wsPort },
      { logger, registry, health },
    );
    stops.push(() => gateway.stop());
    const pool = createPool({ url: config.DATABASE_URL, logger, max: 2, applicationName: "api" });
    stops.push(() => pool.end());
    const apiToken = config.API_TOKEN ?? randomBytes(24).toString("base64url");
    const http = createHttpServer({ registry, health });
    await registerApi(http, { pool, logger, auth: { token: apiToken, readAccess: config.API_READ_ACCESS } });
    const boundHttp = await listen(http, httpPort, config.HTTP_HOST);
    stops.push(() => http.close());
    return {
      mqttPort: gateway.mqttPort,
      wsPort: gateway.wsPort,
      httpPort: boundHttp,
      http,
      health,
      notes,
      apiToken,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
