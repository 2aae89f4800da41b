import { createPool } from "@sensorstream/db";
import type { ServiceDeps } from "@sensorstream/runtime";
import { busRevocations } from "./adapters/bus/revocations.js";
import { watchDatabase } from "./adapters/pg/database-probe.js";
import type { ApiConfig } from "./config.js";
import { registerApi } from "./register.js";

export type ApiSettings = Pick<
  ApiConfig,
  "AMQP_URL" | "DATABASE_URL" | "DB_POOL_SIZE" | "API_TOKEN" | "API_READ_ACCESS"
>;
export type Api = { stop(): Promise<void> };

/**
 * The HTTP API on the process's HTTP server (deps.http, not yet listening): routes, docs and a
 * readiness check on its database. stop() runs once the server stopped taking requests.
 */
export async function startApi(config: ApiSettings, deps: ServiceDeps): Promise<Api> {
  const { logger, health, http, registry } = deps;
  const pool = createPool({
    url: config.DATABASE_URL,
    logger,
    max: config.DB_POOL_SIZE,
    applicationName: "api",
    // Bucketing a day of 1 Hz readings sorts ~86k rows: in memory rather than on disk (4 MB default), and without
    // JIT compilation, which costs more than it saves on queries of tens of milliseconds.
    settings: { work_mem: "32MB", jit: "off" },
  });
  const database = watchDatabase(pool, logger);
  health.register("api_database", database.ok);
  const revocations = await busRevocations({ url: config.AMQP_URL, logger, registry });
  await registerApi(http, {
    pool,
    amqpUrl: config.AMQP_URL,
    logger,
    registry,
    auth: { token: config.API_TOKEN, readAccess: config.API_READ_ACCESS },
    revocations,
  });
  logger.info({ read_access: config.API_READ_ACCESS }, "HTTP API routes ready (docs at /docs)");
  return {
    async stop() {
      await revocations.close();
      database.stop();
      await pool.end();
    },
  };
}
