import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, env, loadConfig } from "./index.js";

const schema = z.object({
  HTTP_PORT: env.port(8080),
  ADMIN_PORT: env.optionalPort(),
  AMQP_URL: env.url("amqp://localhost:5672", ["amqp:", "amqps:"]),
  DEV_MODE: env.flag(false),
  TLS: env.flag(true),
  BATCH_SIZE: env.int(500, 1, 10_000),
  LOG_LEVEL: env.logLevel(),
  API_TOKEN: z.string().min(8),
});

const minimal = { API_TOKEN: "s3cret-token" };

function problemsOf(vars: Record<string, string | undefined>): string[] {
  try {
    loadConfig(schema, vars);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("fills defaults and reads only the schema's keys", () => {
    const config = loadConfig(schema, { ...minimal, PATH: "/usr/bin", HOME: "/root" });
    expect(config).toStrictEqual({
      HTTP_PORT: 8080,
      AMQP_URL: "amqp://localhost:5672",
      DEV_MODE: false,
      TLS: true,
      BATCH_SIZE: 500,
      LOG_LEVEL: "info",
      API_TOKEN: "s3cret-token",
    });
    expect("ADMIN_PORT" in config).toBe(false);
  });

  it("reads set values", () => {
    const config = loadConfig(schema, {
      HTTP_PORT: "9000",
      ADMIN_PORT: "0",
      AMQP_URL: "amqps://user:pw@rabbit:5671/vh",
      DEV_MODE: "yes",
      TLS: "0",
      BATCH_SIZE: "10000",
      LOG_LEVEL: "debug",
      API_TOKEN: "another-token",
    });
    expect(config).toStrictEqual({
      HTTP_PORT: 9000,
      ADMIN_PORT: 0,
      AMQP_URL: "amqps://user:pw@rabbit:5671/vh",
      DEV_MODE: true,
      TLS: false,
      BATCH_SIZE: 10_000,
      LOG_LEVEL: "debug",
      API_TOKEN: "another-token",
    });
  });

  it("treats an empty variable as unset", () => {
    const config = loadConfig(schema, { ...minimal, HTTP_PORT: "", DEV_MODE: "", AMQP_URL: "" });
    expect(config.HTTP_PORT).toBe(8080);
    expect(config.DEV_MODE).toBe(false);
    expect(config.AMQP_URL).toBe("amqp://localhost:5672");
    expect(problemsOf({ API_TOKEN: "" })).toStrictEqual([
      "API_TOKEN: Invalid input: expected string, received undefined (not set)",
    ]);
  });

  it("treats a blank variable as unset (a port of '  ' is not port 0)", () => {
    const config = loadConfig(schema, { ...minimal, HTTP_PORT: "  ", ADMIN_PORT: "\t", BATCH_SIZE: " " });
    expect(config.HTTP_PORT).toBe(8080);
    expect(config.ADMIN_PORT).toBeUndefined();
    expect(config.BATCH_SIZE).toBe(500);
    expect(problemsOf({ API_TOKEN: "   " })[0]).toMatch(/^API_TOKEN: .*\(not set\)$/);
  });

  it("returns a frozen object", () => {
    const config = loadConfig(schema, minimal);
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { HTTP_PORT: number }).HTTP_PORT = 1;
    }).toThrow(TypeError);
    expect(config.HTTP_PORT).toBe(8080);
  });

  it("lists every problem at once, each with the variable and what it got", () => {
    const problems = problemsOf({
      HTTP_PORT: "70000",
      ADMIN_PORT: "http",
      AMQP_URL: "http://rabbit",
      DEV_MODE: "maybe",
      BATCH_SIZE: "0",
      LOG_LEVEL: "loud",
    });
    expect(problems).toHaveLength(7);
    const byKey = Object.fromEntries(problems.map((p) => [p.slice(0, p.indexOf(":")), p]));
    expect(Object.keys(byKey).sort()).toStrictEqual([
      "ADMIN_PORT",
      "AMQP_URL",
      "API_TOKEN",
      "BATCH_SIZE",
      "DEV_MODE",
      "HTTP_PORT",
      "LOG_LEVEL",
    ]);
    expect(byKey.HTTP_PORT).toMatch(/\(got "70000"\)$/);
    expect(byKey.AMQP_URL).toBe('AMQP_URL: must be a URL starting with amqp:// or amqps:// (got "http://rabbit")');
    expect(byKey.DEV_MODE).toMatch(/\(got "maybe"\)$/);
    expect(byKey.API_TOKEN).toMatch(/\(not set\)$/);
  });

  it("puts every problem in the error message", () => {
    expect(() => loadConfig(schema, { HTTP_PORT: "x" })).toThrow(
      /^invalid configuration:\n {2}- HTTP_PORT: .*\n {2}- API_TOKEN: .*\(not set\)$/,
    );
    try {
      loadConfig(schema, {});
    } catch (err) {
      expect((err as Error).name).toBe("ConfigError");
    }
  });

  it("never echoes more than 60 characters of a value", () => {
    const [problem] = problemsOf({ ...minimal, LOG_LEVEL: "x".repeat(500) });
    expect(problem).toMatch(/^LOG_LEVEL: /);
    expect(problem).toContain(` (got "${"x".repeat(60)}")`);
    expect(problem).not.toContain("x".repeat(61));
  });

  it.each([
    ["true", true],
    ["false", false],
    ["1", true],
    ["0", false],
    ["yes", true],
    ["no", false],
    ["on", true],
    ["off", false],
    ["TRUE", true],
    ["No", false],
  ])("reads the flag %j as %s", (text, value) => {
    expect(loadConfig(schema, { ...minimal, DEV_MODE: text }).DEV_MODE).toBe(value);
  });

  it.each(["maybe", "2", "ja", " true", "-1"])("refuses the flag %j", (text) => {
    expect(problemsOf({ ...minimal, DEV_MODE: text })).toHaveLength(1);
  });

  it.each([
    ["0", 0],
    ["1", 1],
    ["65535", 65_535],
    ["08080", 8080],
  ])("accepts the port %j", (text, port) => {
    expect(loadConfig(schema, { ...minimal, HTTP_PORT: text }).HTTP_PORT).toBe(port);
  });

  it.each(["-1", "65536", "80.5", "abc", "8080x", "1e9"])("refuses the port %j", (text) => {
    const problems = problemsOf({ ...minimal, HTTP_PORT: text });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^HTTP_PORT: .*\\(got "${text.replace(".", "\\.")}"\\)$`));
  });

  it("bounds integers", () => {
    expect(problemsOf({ ...minimal, BATCH_SIZE: "10001" })[0]).toMatch(/^BATCH_SIZE: /);
    expect(problemsOf({ ...minimal, BATCH_SIZE: "0" })[0]).toMatch(/^BATCH_SIZE: /);
    expect(loadConfig(schema, { ...minimal, BATCH_SIZE: "1" }).BATCH_SIZE).toBe(1);
  });

  it("refuses a URL that does not parse", () => {
    expect(problemsOf({ ...minimal, AMQP_URL: "not a url" })[0]).toMatch(/^AMQP_URL: must be a URL/);
  });

  it("checks the default URL too", () => {
    const s = z.object({ DB: env.url("localhost:5432", ["postgres:", "postgresql:"]) });
    expect(() => loadConfig(s, {})).toThrow(/DB: must be a URL starting with postgres:\/\/ or postgresql:\/\//);
  });
});
