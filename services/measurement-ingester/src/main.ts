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
import { loadIngesterConfig } from "./config.js";
import { startMeasurementIngester } from "./service.js";

const config = loadIngesterConfig();
const logger = createLogger({ service: "measurement-ingester", version: VERSION, level: config.LOG_LEVEL });
const registry = createRegistry();
const health = new Health();
const http = createHttpServer({ registry, health });
const httpPort = await listen(http, config.HTTP_PORT, config.HTTP_HOST);
logger.info({ http_port: httpPort }, "metrics and health on HTTP");
const ingester = await startMeasurementIngester(config, { logger, registry, health });
installShutdown({
  logger,
  drainTimeoutMs: config.DRAIN_TIMEOUT_MS,
  stop: async () => {
    await ingester.stop();
    await http.close();
  },
});
