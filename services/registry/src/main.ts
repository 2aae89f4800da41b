#!/usr/bin/env node
import {
  createHttpServer,
  createLogger,
  createRegistry,
  Health,
  installShutdown,
  listen,
  VERSION,
} from "@sensorstream/runtime";
import { loadRegistryConfig } from "./config.js";
import { startRegistry } from "./service.js";

const config = loadRegistryConfig();
const logger = createLogger({ service: "registry", version: VERSION, level: config.LOG_LEVEL });
const registry = createRegistry();
const health = new Health();
const http = createHttpServer({ registry, health });
const httpPort = await listen(http, config.HTTP_PORT, config.HTTP_HOST);
logger.info({ http_port: httpPort }, "metrics and health on HTTP");
const service = await startRegistry(config, { logger, registry, health });
installShutdown({
  logger,
  drainTimeoutMs: config.DRAIN_TIMEOUT_MS,
  stop: async () => {
    await service.stop();
    await http.close();
  },
});
