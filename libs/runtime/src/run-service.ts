import { Health } from "./health.js";
import { createHttpServer, listen } from "./http-server.js";
import { createLogger, type Logger } from "./logger.js";
import { createRegistry, type Registry } from "./metrics.js";
import { installShutdown } from "./shutdown.js";

/** The variables every service reads for its process (see .env.example). */
export type ProcessConfig = { LOG_LEVEL: string; HTTP_HOST: string; HTTP_PORT: number; DRAIN_TIMEOUT_MS: number };
export type ServiceDeps = { logger: Logger; registry: Registry; health: Health };

/**
 * What every service's main.ts does around its `start(config, deps)`: one root logger, one metrics
 * registry, /metrics /healthz /readyz listening before the service starts (liveness answers while
 * it waits for RabbitMQ or PostgreSQL), and a drain on SIGTERM that stops the service, then HTTP.
 */
export async function runService(o: {
  service: string;
  version: string;
  config: ProcessConfig;
  start: (deps: ServiceDeps) => Promise<{ stop(): Promise<void> }>;
}): Promise<void> {
  const { config } = o;
  const logger = createLogger({ service: o.service, version: o.version, level: config.LOG_LEVEL });
  const registry = createRegistry();
  const health = new Health();
  const http = createHttpServer({ registry, health });
  const httpPort = await listen(http, config.HTTP_PORT, config.HTTP_HOST);
  logger.info({ http_port: httpPort }, "metrics and health on HTTP");
  let service: { stop(): Promise<void> };
  try {
    service = await o.start({ logger, registry, health });
  } catch (err) {
    // A startup error (a port in use, a broken migration) ends the process with one clear line.
    logger.fatal({ err }, "cannot start");
    process.stderr.write(`${o.service}: cannot start: ${(err as Error).message}\n`);
    await http.close();
    process.exit(1);
  }
  installShutdown({
    logger,
    drainTimeoutMs: config.DRAIN_TIMEOUT_MS,
    stop: async () => {
      await service.stop();
      await http.close();
    },
  });
}
