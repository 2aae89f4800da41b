/**
 * The rule for configuration in compose.yaml and Kubernetes (docs/deployment.md, "Configuration"):
 * every variable a service's config schema reads is set explicitly, even where the value is the
 * code's default, so a deployment never depends on a default meant for a developer's machine
 * (localhost URLs above all) and every knob is visible in one place. And nothing else is set: a
 * misspelt variable would be ignored silently. Each service's effective environment is then parsed
 * by the service's own schema (loadConfig), with the connection URLs pointing at the broker and the
 * database of that deployment.
 */
import { loadConfig } from "@sensorstream/runtime";
import { beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  asArray,
  asObj,
  asString,
  at,
  byKind,
  composeEnv,
  composeServices,
  deployableServices,
  dig,
  find,
  KUBECTL_MISSING,
  kubectlPath,
  kustomize,
  loadComposeRaw,
  type Obj,
} from "./deploy-support.js";

type Schema = z.ZodObject<z.ZodRawShape>;

/** Read by Kubernetes to compose AMQP_URL and DATABASE_URL, not by the services (k8s/base/platform.env). */
const K8S_WIRING = new Set([
  "RABBITMQ_HOST",
  "RABBITMQ_USERNAME",
  "RABBITMQ_PASSWORD",
  "DATABASE_HOST",
  "DATABASE_NAME",
  "DATABASE_USERNAME",
  "DATABASE_PASSWORD",
]);

const schemas = new Map<string, Schema>();

async function schemaOf(svc: string): Promise<Schema> {
  const mod = (await import(at("services", svc, "src", "config.ts"))) as Record<string, unknown>;
  const found = Object.entries(mod).filter(([k, v]) => k.endsWith("ConfigSchema") && typeof v === "object");
  expect(
    found.map(([k]) => k),
    `services/${svc}/src/config.ts exports one *ConfigSchema`,
  ).toHaveLength(1);
  return found[0]?.[1] as Schema;
}

const keysOf = (schema: Schema): string[] => Object.keys(schema.shape).sort();
const hostOf = (url: string | undefined): string => (url ? new URL(url).hostname : "");

beforeAll(async () => {
  for (const svc of deployableServices()) schemas.set(svc, await schemaOf(svc));
});

describe("configuration in compose.yaml", () => {
  const services = composeServices();
  const raw = asObj(loadComposeRaw()["x-platform-env"]);

  it.each(deployableServices())("sets every variable %s reads, each valid, and nothing it does not read", (svc) => {
    const schema = schemas.get(svc) as Schema;
    const env = composeEnv(asObj(services[svc]));
    for (const key of keysOf(schema)) expect(env, `${svc}: ${key} is not set`).toHaveProperty(key);
    const platform = new Set(Object.keys(raw));
    for (const key of Object.keys(env)) {
      if (platform.has(key)) continue;
      expect(keysOf(schema), `${svc}: ${key} is set but ${svc} does not read it`).toContain(key);
    }
    const config = loadConfig(schema, env) as Record<string, unknown>;
    if ("AMQP_URL" in config) expect(hostOf(config.AMQP_URL as string)).toBe("rabbitmq");
    if ("DATABASE_URL" in config) expect(hostOf(config.DATABASE_URL as string)).toBe("timescaledb");
  });

  it("sets only platform-wide variables that some service reads", () => {
    const read = new Set([...schemas.values()].flatMap(keysOf));
    for (const key of Object.keys(raw)) expect(read.has(key), `x-platform-env: ${key}`).toBe(true);
  });
});

/** A container's environment as the kubelet builds it: envFrom, then env in order with $(VAR) expanded. */
function podEnv(objects: Obj[], deployment: Obj): { env: Record<string, string>; explicit: Set<string> } {
  const c = dig(deployment, "spec", "template", "spec", "containers", 0);
  const env: Record<string, string> = {};
  for (const from of asArray(dig(c, "envFrom"))) {
    const cm = find(objects, "ConfigMap", asString(dig(from, "configMapRef", "name")) ?? "");
    for (const [k, v] of Object.entries(asObj(dig(cm, "data")))) env[k] = String(v);
  }
  const explicit = new Set(Object.keys(env));
  for (const e of asArray(dig(c, "env"))) {
    const name = asString(dig(e, "name")) ?? "";
    const ref = asObj(dig(e, "valueFrom", "secretKeyRef"));
    let value: string;
    if (ref.name) {
      const secret = find(objects, "Secret", asString(ref.name) ?? "");
      // A secret made elsewhere (operator, production): a well-formed stand-in value.
      value = asString(dig(secret, "stringData", asString(ref.key) ?? "")) ?? `stand-in-${asString(ref.key)}-value`;
    } else {
      value = (asString(dig(e, "value")) ?? "").replace(
        /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
        (_m, v: string) => env[v] ?? "",
      );
    }
    env[name] = value;
    explicit.add(name);
  }
  return { env, explicit };
}

describe.each(["dev", "prod"])("configuration in k8s overlay %s", (overlay) => {
  let objects: Obj[] = [];

  beforeAll(() => {
    if (!kubectlPath()) throw new Error(KUBECTL_MISSING);
    objects = kustomize(at("k8s/overlays", overlay));
  });

  it("sets every variable each service reads, each valid, with URLs to this deployment's broker and database", () => {
    for (const svc of deployableServices()) {
      const schema = schemas.get(svc) as Schema;
      const d = find(objects, "Deployment", svc);
      expect(d, svc).toBeDefined();
      const { env, explicit } = podEnv(objects, d ?? {});
      for (const key of keysOf(schema)) expect(explicit.has(key), `${svc}: ${key} is not set`).toBe(true);
      const config = loadConfig(schema, env) as Record<string, unknown>;
      if ("AMQP_URL" in config) expect(hostOf(config.AMQP_URL as string), svc).toBe("sensorstream-rabbitmq");
      if ("DATABASE_URL" in config) {
        expect(hostOf(config.DATABASE_URL as string), svc).toBe("sensorstream-timescaledb");
        expect(find(objects, "Service", "sensorstream-timescaledb")).toBeDefined();
      }
      expect(Number(env.HTTP_PORT), svc).toBe(8080);
    }
  });

  it("sets nothing a service does not read, in its own config map or the platform's", () => {
    const read = new Set([...schemas.values()].flatMap(keysOf));
    // Config maps that become environment (envFrom); others hold files (SQL, dashboards).
    const asEnv = new Set(
      byKind(objects, "Deployment").flatMap((d) =>
        asArray(dig(d, "spec", "template", "spec", "containers", 0, "envFrom")).map((e) =>
          asString(dig(e, "configMapRef", "name")),
        ),
      ),
    );
    for (const cm of byKind(objects, "ConfigMap")) {
      const name = asString(dig(cm, "metadata", "name")) ?? "";
      if (!asEnv.has(name)) continue;
      const svc = deployableServices().find((s) => name.startsWith(`${s}-config-`));
      for (const key of Object.keys(asObj(cm.data))) {
        if (svc) expect(keysOf(schemas.get(svc) as Schema), `${name}: ${key}`).toContain(key);
        else expect(read.has(key) || K8S_WIRING.has(key), `${name}: ${key}`).toBe(true);
      }
    }
  });
});
