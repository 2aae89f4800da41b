import type { z } from "zod";
import { configOrExit, loadConfig } from "./config.js";
import type { serviceProcessConfig } from "./config-fragments.js";
import { Health } from "./health.js";
import { createHttpServer, listen } from "./http-server.js";
import { createLogger } from "./logger.js";
import { createRegistry } from "./metrics.js";
import type { RunningService, ServiceDescription } from "./service.js";
import { installShutdown } from "./shutdown.js";
import { VERSION } from "./version.js";

/** The variables runService itself reads: every service schema spreads serviceProcessConfig. */
export type ProcessConfig = z.output<z.ZodObject<typeof serviceProcessConfig>>;

type ProcessSchema = z.ZodObject & z.ZodType<ProcessConfig>;

/**
 * A service's main.ts: config from the environment (every problem listed, exit 2), one root logger
 * with the version and a child for the service, one metrics registry, /metrics /healthz /readyz,
 * the service started, and a drain on SIGTERM/SIGINT. A startup error exits 1 with one clear line.
 */
export async function runService<S extends ProcessSchema, R extends RunningService>(
  description: ServiceDescription<S, R>,
  source: Record<string, string | undefined> = process.env,
): Promise<void> {
  const { name } = description;
  const config = configOrExit(() => loadConfig(description.configSchema, source), name);
  const settings: ProcessConfig = config;
  const logger = createLogger({ version: VERSION, level: settings.LOG_LEVEL }).child({ service: name });
  const registry = createRegistry();
  const health = new Health();
  const http = createHttpServer({ registry, health });
  const serve = async () => {
    const httpPort = await listen(http, settings.HTTP_PORT, settings.HTTP_HOST);
    logger.info({ http_port: httpPort }, description.routes ? "HTTP listening" : "metrics and health on HTTP");
  };
  let service: RunningService;
  try {
    if (!description.routes) await serve();
    service = await description.start(config, { logger, registry, health, http });
    if (description.routes) await serve();
  } catch (err) {
    // A startup error (a port in use, a broken migration) ends the process with one clear line.
    logger.fatal({ err }, "cannot start");
    process.stderr.write(`${name}: cannot start: ${(err as Error).message}\n`);
    await http.close();
    process.exit(1);
  }
  installShutdown({
    logger,
    drainTimeoutMs: settings.DRAIN_TIMEOUT_MS,
    stop: async () => {
      // Routes: requests in flight finish before the service's resources go; otherwise /metrics stays up while draining.
      if (description.routes) await http.close();
      await service.stop();
      if (!description.routes) await http.close();
    },
  });
}
