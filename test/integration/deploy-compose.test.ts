/**
 * compose.yaml without a Docker engine: it validates against the Compose Specification's JSON
 * schema (the copy dclint ships; `docker compose config` is used too where the compose plugin
 * exists), works with an empty environment, and fits together: health-gated start order, every
 * released service present, the simulator behind a profile, drain time, mounts that exist,
 * Prometheus scraping every service. Not proved here: that the images pull and the stack runs.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  asArray,
  asObj,
  asString,
  at,
  composeCommandService,
  composeServices,
  composeVariables,
  deployableServices,
  dig,
  loadCompose,
  type Obj,
  readText,
  TOOLS,
} from "./deploy-support.js";

const compose = loadCompose();
const services = composeServices(compose);
const appServices = Object.entries(services).filter(([, s]) => asString(s.image)?.includes("sensorstream"));

function hasComposePlugin(): boolean {
  try {
    execFileSync("docker", ["compose", "version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

/** "30s", "1m30s" in compose durations, as milliseconds. */
function durationMs(text: string): number {
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)) {
    const n = Number(m[1]);
    ms += n * ({ h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 }[m[2] as "h" | "m" | "s" | "ms" | "us"] ?? 0);
  }
  return ms;
}

describe("compose.yaml", () => {
  it("validates against the Compose Specification schema", () => {
    const schema = JSON.parse(readText("node_modules/dclint/schemas/compose.schema.json")) as Obj;
    expect(asString(schema.title)).toBe("Compose Specification");
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    // Its $schema names draft-07 by an https URL Ajv does not know; the schema itself is draft-07.
    const { $schema: _draft, ...draft07 } = schema;
    const validate = ajv.compile(draft07);
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toStrictEqual([]);
    expect(ok).toBe(true);
    // The validator does reject a broken file (a guard against a schema that accepts anything).
    expect(validate({ services: { x: { image: "a", depends_on: { y: { condition: "healthy" } } } } })).toBe(false);
  });

  it.skipIf(!hasComposePlugin())(
    "is accepted by `docker compose config` (where the compose plugin is installed)",
    () => {
      execFileSync("docker", ["compose", "-f", at("compose.yaml"), "config", "-q"], { stdio: "pipe", env: {} });
    },
  );

  it("starts with an empty environment: every variable reference has a default", () => {
    const vars = composeVariables();
    expect(vars.length).toBeGreaterThan(0);
    for (const v of vars) expect(v.op, `\${${v.name}} needs a :- default`).toBe(":-");
  });

  it("runs every released service, with the one image chosen by its command", () => {
    const byCommand = new Map(appServices.map(([name, s]) => [composeCommandService(s), name]));
    for (const svc of deployableServices()) {
      expect(byCommand.get(svc), `compose service for ${svc}`).toBe(svc);
      expect(services[svc]?.profiles, `${svc} must start by default (no profile)`).toBeUndefined();
    }
    const images = new Set(appServices.map(([, s]) => asString(s.image)));
    expect(images.size).toBe(1);
  });

  it("keeps tools behind a profile and every sensorstream container on a released entry point", () => {
    for (const tool of TOOLS) {
      expect(asArray(services[tool]?.profiles), tool).toContain(tool);
      expect(composeCommandService(asObj(services[tool])), tool).toBe(tool);
    }
    const released = new Set([...deployableServices(), ...TOOLS]);
    for (const [name, s] of appServices) {
      const cmd = composeCommandService(s) ?? "";
      expect(released.has(cmd) || asArray(s.profiles).includes("pending"), `${name} runs '${cmd}'`).toBe(true);
    }
  });

  it("gates every start on health: depends_on waits for service_healthy, and each dependency has a health check", () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, cond] of Object.entries(asObj(s.depends_on))) {
        expect(services[dep], `${name} depends on unknown ${dep}`).toBeDefined();
        expect(dig(cond, "condition"), `${name} -> ${dep}`).toBe("service_healthy");
        const hc = asObj(services[dep]?.healthcheck);
        expect(hc.disable, `${dep} has no health check`).not.toBe(true);
        expect(asArray(hc.test).length, `${dep} has no health check`).toBeGreaterThan(0);
      }
    }
    for (const svc of deployableServices()) {
      const s = asObj(services[svc]);
      expect(Object.keys(asObj(s.depends_on)).sort(), svc).toEqual(expect.arrayContaining(["rabbitmq", "timescaledb"]));
      expect(asArray(dig(s, "healthcheck", "test")), svc).toStrictEqual([
        "CMD",
        "node",
        "/app/healthcheck.mjs",
        "/readyz",
      ]);
    }
  });

  it("gives every service longer to stop than its drain timeout", () => {
    for (const svc of deployableServices()) {
      const s = asObj(services[svc]);
      const drain = Number(asObj(s.environment).DRAIN_TIMEOUT_MS ?? 20_000);
      expect(durationMs(asString(s.stop_grace_period) ?? "10s"), svc).toBeGreaterThan(drain);
    }
  });

  it("mounts files that exist and declares every named volume", () => {
    const declared = new Set(Object.keys(asObj(compose.volumes)));
    for (const [name, s] of Object.entries(services)) {
      for (const v of asArray(s.volumes)) {
        const source = (asString(v) ?? asString(dig(v, "source")) ?? "").split(":")[0] ?? "";
        if (source.startsWith(".") || source.startsWith("/")) {
          expect(existsSync(at(source)), `${name}: ${source}`).toBe(true);
        } else {
          expect(declared.has(source), `${name}: volume ${source}`).toBe(true);
        }
      }
    }
  });

  it("runs RabbitMQ 4 with management and quorum as the default queue type", () => {
    expect(asString(services.rabbitmq?.image)).toMatch(/^rabbitmq:4(\.\d+)*-management$/);
    const conf = asArray(services.rabbitmq?.volumes)
      .map((v) => asString(v) ?? "")
      .find((v) => v.includes("/etc/rabbitmq/conf.d/"));
    expect(conf).toBeDefined();
    expect(readText((conf ?? "").split(":")[0] ?? "")).toMatch(/^default_queue_type = quorum$/m);
    expect(asString(services.timescaledb?.image)).toMatch(/^timescale\/timescaledb:/);
    expect(asArray(services.timescaledb?.volumes).some((v) => String(v).endsWith(":/var/lib/postgresql/data"))).toBe(
      true,
    );
  });

  it("has Prometheus scrape every sensorstream service and RabbitMQ's per-queue metrics", () => {
    const prom = asObj(parseYaml(readText("deploy/prometheus/prometheus.yml")));
    const jobs = asArray(prom.scrape_configs).map(asObj);
    const names = jobs.flatMap((j) => asArray(j.dns_sd_configs).flatMap((d) => asArray(dig(d, "names"))));
    const started = deployableServices().filter((s) => !asArray(services[s]?.profiles).length);
    expect([...names].sort()).toStrictEqual([...started].sort());
    for (const j of jobs) {
      for (const d of asArray(j.dns_sd_configs)) expect(dig(d, "port")).toBe(8080);
    }
    const queues = jobs.find((j) => j.metrics_path === "/metrics/detailed");
    expect(asArray(dig(queues, "params", "family"))).toEqual(
      expect.arrayContaining(["queue_coarse_metrics", "queue_consumer_count"]),
    );
  });

  it("provisions Grafana with the data sources the dashboards ask for", () => {
    const ds = asObj(parseYaml(readText("deploy/grafana/provisioning/datasources/sensorstream.yaml")));
    const types = asArray(ds.datasources).map((d) => dig(d, "type"));
    expect(types).toEqual(expect.arrayContaining(["prometheus", "grafana-postgresql-datasource"]));
    const grafana = asObj(services.grafana);
    expect(asArray(grafana.volumes).map(String)).toEqual(
      expect.arrayContaining([
        "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro",
        "./deploy/grafana/dashboards:/var/lib/grafana/dashboards/sensorstream:ro",
      ]),
    );
  });
});
