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
import { loadGatewayConfig } from "./config.js";
import { startGateway } from "./service.js";

const config = loadGatewayConfig();
const logger = createLogger({ service: "gateway", version: VERSION, level: config.LOG_LEVEL });
const registry = createRegistry();
const health = new Health();
const http = createHttpServer({ registry, health });
const gateway = await startGateway(config, { logger, registry, health });
const httpPort = await listen(http, config.HTTP_PORT, config.HTTP_HOST);
logger.info({ http_port: httpPort }, "metrics and health on HTTP");
installShutdown({
  logger,
  drainTimeoutMs: config.DRAIN_TIMEOUT_MS,
  stop: async () => {
    await gateway.stop();
    await http.close();
  },
});
