import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allInOneConfigSchema } from "./config.js";
import { PLATFORM_SERVICES } from "./services.js";

const example = readFileSync(new URL("../../../.env.example", import.meta.url), "utf8");
const documented = new Map(
  example
    .split("\n")
    // A commented `# KEY=value` documents a variable with no default (a secret to set, like API_TOKEN).
    .map((l) => l.replace(/^# ([A-Z_]+=)/, "$1"))
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => {
      const [k, ...v] = l.split("=");
      return [k as string, v.join("=")] as const;
    }),
);
const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

// Every service npm start runs (a test keeps that list complete), and npm start itself.
const schemas = {
  ...Object.fromEntries(PLATFORM_SERVICES.map((s) => [s.name, s.configSchema])),
  "all-in-one": allInOneConfigSchema,
};
const allKeys = new Set(Object.values(schemas).flatMap((s) => Object.keys(s.shape)));

describe(".env.example and README stay in step with the config schemas", () => {
  it("documents every variable a service reads, and nothing else", () => {
    expect([...documented.keys()].sort()).toEqual([...allKeys].sort());
  });

  it.each(Object.entries(schemas))("%s accepts the documented values", (_name, schema) => {
    const env = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, documented.get(k)]));
    expect(schema.safeParse(env).success).toBe(true);
  });

  it("the README names every variable", () => {
    const missing = [...allKeys].filter((k) => !readme.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });
});
