import { batchConsumerConfig, busConfig, databaseConfig, serviceProcessConfig } from "@sensorstream/runtime";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadLogIngesterConfig, logIngesterConfigSchema } from "./config.js";

describe("log ingester config", () => {
  it("reads the variables every ingester shares plus its own retention, so one .env configures both", () => {
    expect(Object.keys(logIngesterConfigSchema.shape).sort()).toStrictEqual(
      [
        "AMQP_URL",
        "BATCH_FLUSH_MS",
        "BATCH_MAX_ROWS",
        "DATABASE_URL",
        "DB_POOL_SIZE",
        "DRAIN_TIMEOUT_MS",
        "HTTP_HOST",
        "HTTP_PORT",
        "LOG_LEVEL",
        "LOG_RETENTION_DAYS",
        "PREFETCH",
        "TIMESCALEDB",
      ].sort(),
    );
    const env = { PREFETCH: "100", BATCH_MAX_ROWS: "50", TIMESCALEDB: "off", DATABASE_URL: "postgres://db/x" };
    const shared = z
      .object({ ...busConfig, ...databaseConfig, ...serviceProcessConfig, ...batchConsumerConfig })
      .parse(env);
    expect(loadLogIngesterConfig(env)).toStrictEqual({ ...shared, LOG_RETENTION_DAYS: 0 });
    expect(loadLogIngesterConfig({ ...env, LOG_RETENTION_DAYS: "14" }).LOG_RETENTION_DAYS).toBe(14);
    expect(() => loadLogIngesterConfig({ LOG_RETENTION_DAYS: "-1" })).toThrow(/LOG_RETENTION_DAYS/);
  });
});
