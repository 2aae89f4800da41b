#!/usr/bin/env node
import { createPool } from "@sensorstream/db";
import {
  configOrExit,
  createHttpServer,
  createLogger,
  createRegistry,
  Health,
  installShutdown,
  listen,
  VERSION,
} from "@sensorstream/runtime";
import { watchDatabase } from "./adapters/pg/database-probe.js";
import { loadApiConfig } from "./config.js";
import { registerApi } from "./register.js";

// Not runService(): it listens before the service starts, and fastify takes no routes once listening.
const config = configOrExit(() => loadApiConfig(), "api");
const logger = createLogger({ service: "api", version: VERSION, level: config.LOG_LEVEL });
const registry = createRegistry();
const health = new Health();
const pool = createPool({
  url: config.DATABASE_URL,
  logger,
  max: config.DB_POOL_SIZE,
  applicationName: "sensorstream-api",
});
const database = watchDatabase(pool, logger);
health.register("api_database", database.ok);
const http = createHttpServer({ registry, health });
await registerApi(http, { pool, logger, auth: { token: config.API_TOKEN, readAccess: config.API_READ_ACCESS } });
const httpPort = await listen(http, config.HTTP_PORT, config.HTTP_HOST);
logger.info({ http_port: httpPort, read_access: config.API_READ_ACCESS }, "HTTP API listening (docs at /docs)");
installShutdown({
  logger,
  drainTimeoutMs: config.DRAIN_TIMEOUT_MS,
  stop: async () => {
    // close() stops accepting connections and waits for in-flight requests before the pool goes.
    await http.close();
    database.stop();
    await pool.end();
  },
});
