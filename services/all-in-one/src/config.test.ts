import { existsSync, readdirSync, readFileSync } from "node:fs";
import { loadConfig } from "@sensorstream/runtime";
import { describe, expect, it } from "vitest";
import { allInOneConfigSchema, NPM_START_OVERRIDES } from "./config.js";
import { PLATFORM_SERVICES } from "./services.js";

const example = new Map(
  readFileSync(new URL("../../../.env.example", import.meta.url), "utf8")
    .split("\n")
    .map((l) => l.replace(/^# ([A-Z_]+=)/, "$1"))
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => {
      const [k, ...v] = l.split("=");
      return [k as string, v.join("=")] as const;
    }),
);
const overridden = new Set(Object.keys(NPM_START_OVERRIDES));

describe.each(PLATFORM_SERVICES.map((s) => [s.name, s] as const))("npm start reads what %s reads", (_name, service) => {
  const keys = Object.keys(service.configSchema.shape);
  const env = Object.fromEntries(keys.map((k) => [k, example.get(k)]));

  it("every variable, with the service's own definition unless npm start overrides it", () => {
    const merged: Record<string, unknown> = allInOneConfigSchema.shape;
    const own: Record<string, unknown> = service.configSchema.shape;
    for (const key of keys) {
      expect(merged, key).toHaveProperty(key);
      if (!overridden.has(key)) expect(merged[key], key).toBe(own[key]);
    }
  });

  it("to the same values", () => {
    const alone: Record<string, unknown> = loadConfig(service.configSchema, env);
    const together: Record<string, unknown> = loadConfig(allInOneConfigSchema, env);
    for (const key of keys) expect(together[key], key).toStrictEqual(alone[key]);
  });
});

describe("npm start's own defaults", () => {
  it("are a laptop's: open MQTT and reads, self-registering sensors, quiet logs, movable ports", () => {
    const config = loadConfig(allInOneConfigSchema, {});
    expect(config).toMatchObject({
      MQTT_AUTH: "open",
      REGISTRATION: "auto",
      API_READ_ACCESS: "open",
      LOG_LEVEL: "warn",
      DEMO: true,
    });
    for (const unset of ["API_TOKEN", "MQTT_PORT", "MQTT_WS_PORT", "HTTP_PORT"])
      expect(config).not.toHaveProperty(unset);
  });

  it("runs every service that has a description", () => {
    const services = new URL("../../", import.meta.url);
    const described = readdirSync(services).filter((d) => existsSync(new URL(`${d}/src/description.ts`, services)));
    expect(PLATFORM_SERVICES.map((s) => s.name).sort()).toStrictEqual(described.sort());
  });

  it("override only variables some service reads", () => {
    const read = new Set(PLATFORM_SERVICES.flatMap((s) => Object.keys(s.configSchema.shape)));
    expect([...overridden].filter((k) => !read.has(k))).toStrictEqual([]);
  });
});

describe("PLATFORM_THREADS", () => {
  const threads = (v?: string) =>
    allInOneConfigSchema.safeParse({ ...(v === undefined ? {} : { PLATFORM_THREADS: v }) });

  it("runs the gateway in a thread by default; none (or empty) runs everything on one", () => {
    expect(threads().data?.PLATFORM_THREADS).toEqual(["gateway"]);
    expect(threads("none").data?.PLATFORM_THREADS).toEqual([]);
    expect(threads("").data?.PLATFORM_THREADS).toEqual([]);
    expect(threads(" gateway , alarm,gateway").data?.PLATFORM_THREADS).toEqual(["gateway", "alarm"]);
  });

  it("refuses a service with HTTP routes or an unknown name, and says which may", () => {
    for (const v of ["api", "gatway"]) {
      const r = threads(v);
      expect(r.success, v).toBe(false);
      expect(r.error?.issues[0]?.message).toContain(
        `${v} cannot run in a thread; choose among measurement-ingester, log-ingester, registry, command, alarm, gateway`,
      );
    }
  });
});
