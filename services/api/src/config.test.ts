import { ConfigError } from "@sensorstream/runtime";
import { describe, expect, it } from "vitest";
import { loadApiConfig } from "./config.js";

const token = "0123456789abcdef0123";

describe("api config", () => {
  it("has defaults for everything but the token", () => {
    expect(loadApiConfig({ API_TOKEN: token })).toEqual({
      AMQP_URL: "amqp://guest:guest@localhost:5672",
      DATABASE_URL: "postgresql://postgres@localhost:5432/sensorstream",
      HTTP_HOST: "0.0.0.0",
      HTTP_PORT: 8080,
      API_TOKEN: token,
      API_READ_ACCESS: "token",
      DB_POOL_SIZE: 4,
      DRAIN_TIMEOUT_MS: 20_000,
      LOG_LEVEL: "info",
    });
  });

  it("refuses to start without API_TOKEN, or with a blank or short one, saying what to set", () => {
    for (const env of [{}, { API_TOKEN: "  " }, { API_TOKEN: "short" }]) {
      let error: unknown;
      try {
        loadApiConfig(env);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^API_TOKEN: must be/)]);
    }
  });

  it("lists every bad value at once", () => {
    let error: unknown;
    try {
      loadApiConfig({ API_TOKEN: token, API_READ_ACCESS: "public", HTTP_PORT: "99999", DATABASE_URL: "mysql://x" });
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).problems.map((p) => p.split(":")[0]).sort()).toEqual([
      "API_READ_ACCESS",
      "DATABASE_URL",
      "HTTP_PORT",
    ]);
  });
});
