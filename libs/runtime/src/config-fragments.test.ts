import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadConfig } from "./config.js";
import {
  batchConsumerConfig,
  busConfig,
  databaseConfig,
  httpConfig,
  processConfig,
  serviceProcessConfig,
} from "./config-fragments.js";

const fragments = { busConfig, databaseConfig, httpConfig, processConfig, batchConsumerConfig };

describe("shared config fragments", () => {
  it("define each variable in one fragment only", () => {
    const keys = Object.values(fragments).flatMap((f) => Object.keys(f));
    expect(keys.length).toBe(new Set(keys).size);
  });

  it("give the documented defaults when nothing is set", () => {
    const schema = z.object({ ...busConfig, ...databaseConfig, ...serviceProcessConfig, ...batchConsumerConfig });
    expect(loadConfig(schema, {})).toStrictEqual({
      AMQP_URL: "amqp://guest:guest@localhost:5672",
      DATABASE_URL: "postgresql://postgres@localhost:5432/sensorstream",
      TIMESCALEDB: "auto",
      DB_POOL_SIZE: 4,
      HTTP_HOST: "0.0.0.0",
      HTTP_PORT: 8080,
      LOG_LEVEL: "info",
      DRAIN_TIMEOUT_MS: 20_000,
      PREFETCH: 4_000,
      BATCH_MAX_ROWS: 5_000,
      BATCH_FLUSH_MS: 100,
    });
  });

  it("list every bad value of a schema built from them", () => {
    const schema = z.object({ ...busConfig, ...serviceProcessConfig });
    expect(() =>
      loadConfig(schema, { AMQP_URL: "http://x", HTTP_PORT: "70000", LOG_LEVEL: "loud", DRAIN_TIMEOUT_MS: "5" }),
    ).toThrow(/AMQP_URL[\s\S]*HTTP_PORT[\s\S]*LOG_LEVEL[\s\S]*DRAIN_TIMEOUT_MS/);
  });
});
