/**
 * What a real cluster needs beyond valid objects, asserted on the rendered manifests (no cluster
 * here): KEDA adopting the HPAs it replaces, one CPU target, the PostgreSQL connection budget
 * (pools × maximum replicas under max_connections), least-privilege logins, RabbitMQ spread and
 * disruption budget, NetworkPolicies (evaluated for who may reach what), the Prometheus Operator
 * label, the dashboards ConfigMap, and MQTT over TLS. See docs/deployment.md for each.
 */
import { readdirSync, readFileSync } from "node:fs";
import { parseSimulatorArgs } from "@sensorstream/simulator";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  asArray,
  asObj,
  asString,
  at,
  byKind,
  component,
  deployableServices,
  dig,
  find,
  isObj,
  KUBECTL_MISSING,
  kindName,
  kubectlPath,
  kustomize,
  kustomizeWithComponents,
  type Obj,
  readText,
} from "./deploy-support.js";

const OPTIONAL = ["keda", "prometheus-operator", "grafana-dashboards", "cert-manager", "simulator"];
/** The optional components an overlay does not include already. */
const optionalFor = (overlay: string) =>
  OPTIONAL.filter(
    (c) => !readText("k8s/overlays", overlay, "kustomization.yaml").includes(`\n  - ../../components/${c}\n`),
  ).map((c) => `k8s/components/${c}`);
const builds: Record<string, Obj[]> = {};

beforeAll(() => {
  if (!kubectlPath()) throw new Error(KUBECTL_MISSING);
  for (const o of ["dev", "prod"]) {
    builds[o] = kustomize(at("k8s/overlays", o));
    builds[`${o}+optional`] = kustomizeWithComponents(`k8s/overlays/${o}`, optionalFor(o));
  }
});

const name = (o: unknown) => asString(dig(o, "metadata", "name")) ?? "";
const mainContainer = (d: Obj | undefined) => asObj(dig(d, "spec", "template", "spec", "containers", 0));
const services = (objects: Obj[]) => byKind(objects, "Deployment").filter((d) => component(d) === "service");

/** A container's environment, as the kubelet builds it (config maps, then env with $(VAR) expanded). */
function envOf(objects: Obj[], c: Obj): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of asArray(c.envFrom)) {
    const cm = find(objects, "ConfigMap", asString(dig(from, "configMapRef", "name")) ?? "");
    for (const [k, v] of Object.entries(asObj(dig(cm, "data")))) env[k] = String(v);
  }
  for (const e of asArray(c.env)) {
    const ref = asObj(dig(e, "valueFrom", "secretKeyRef"));
    const value = ref.name
      ? `secret.${asString(ref.name)}.${asString(ref.key)}`
      : (asString(dig(e, "value")) ?? "").replace(/\$\(([A-Za-z_]\w*)\)/g, (_m, v: string) => env[v] ?? "");
    env[asString(dig(e, "name")) ?? ""] = value;
  }
  return env;
}

// ------------------------------------------------------------------------------------------- KEDA

describe("autoscaling: switching from the HPAs to KEDA", () => {
  it.each(["dev", "prod"])("%s: each ScaledObject adopts the HPA it replaces, with the same CPU target", (o) => {
    const hpas = byKind(builds[o] ?? [], "HorizontalPodAutoscaler");
    const keda = builds[`${o}+optional`] ?? [];
    const scaled = byKind(keda, "ScaledObject");
    expect(scaled.length).toBeGreaterThan(0);
    expect(byKind(keda, "HorizontalPodAutoscaler").map(kindName)).toStrictEqual([]);
    for (const so of scaled) {
      const target = asString(dig(so, "spec", "scaleTargetRef", "name"));
      const hpa = hpas.find((h) => dig(h, "spec", "scaleTargetRef", "name") === target);
      expect(hpa, `${kindName(so)}: no HPA to replace`).toBeDefined();
      // kubectl apply never deletes the live HPA: KEDA must take it over by name.
      expect(dig(so, "metadata", "annotations", "scaledobject.keda.sh/transfer-hpa-ownership")).toBe("true");
      expect(dig(so, "spec", "advanced", "horizontalPodAutoscalerConfig", "name")).toBe(name(hpa));
      const cpu = asArray(dig(so, "spec", "triggers")).find((t) => dig(t, "type") === "cpu");
      const hpaCpu = asArray(dig(hpa, "spec", "metrics")).find((m) => dig(m, "resource", "name") === "cpu");
      expect(Number(dig(cpu, "metadata", "value")), kindName(so)).toBe(
        Number(dig(hpaCpu, "resource", "target", "averageUtilization")),
      );
    }
  });
});

// ------------------------------------------------------------------------------ connection budget

/**
 * Each service's PostgreSQL pool size: DB_POOL_SIZE where it reads that (the env test proves a
 * service's config map sets only what it reads), else the literal `createPool({ ..., max: <n> })`
 * in its sources (the gateway's credential lookups).
 */
function poolSize(svc: string, env: Record<string, string>): number | undefined {
  if (env.DB_POOL_SIZE !== undefined) return Number(env.DB_POOL_SIZE);
  const dir = at("services", svc, "src");
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
    (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"),
  );
  const sizes = files.flatMap((f) =>
    [...readFileSync(`${dir}/${f}`, "utf8").matchAll(/createPool\(\{[^}]*?\bmax:\s*(\d+)/g)].map((m) => Number(m[1])),
  );
  return sizes.length > 0 ? sizes.reduce((a, b) => a + b, 0) : undefined;
}

function maxReplicas(objects: Obj[], d: Obj): number {
  const target = name(d);
  const so = byKind(objects, "ScaledObject").find((s) => dig(s, "spec", "scaleTargetRef", "name") === target);
  if (so) return Number(dig(so, "spec", "maxReplicaCount"));
  const hpa = byKind(objects, "HorizontalPodAutoscaler").find(
    (h) => dig(h, "spec", "scaleTargetRef", "name") === target,
  );
  if (hpa) return Number(dig(hpa, "spec", "maxReplicas"));
  return Number(dig(d, "spec", "replicas") ?? 1);
}

/** Extra pods during a rolling update (maxSurge: a count or a percentage, 25% by default). */
function surge(d: Obj, replicas: number): number {
  if (dig(d, "spec", "strategy", "type") === "Recreate") return 0;
  const s = dig(d, "spec", "strategy", "rollingUpdate", "maxSurge") ?? "25%";
  return typeof s === "number" ? s : Math.ceil((replicas * Number(String(s).replace("%", ""))) / 100);
}

/** Outside the services: Grafana's data source (maxOpenConns), the db-roles Job, an operator's psql. */
const grafanaConns = Number(
  readText("deploy/grafana/provisioning/datasources/sensorstream.yaml").match(/maxOpenConns:\s*(\d+)/)?.[1],
);
const HEADROOM = { grafana: grafanaConns, roles_job: 1, operator: 2 };

describe("the PostgreSQL connection budget", () => {
  it.each(["dev", "prod", "dev+optional", "prod+optional"])(
    "%s: every pool at its maximum replica count, plus a rollout's surge and headroom, fits under max_connections",
    (b) => {
      const objects = builds[b] ?? [];
      const db = mainContainer(find(objects, "StatefulSet", "sensorstream-timescaledb"));
      const args = asArray(db.args).map(String);
      const setting = (k: string) => Number(args.find((a) => a.startsWith(`${k}=`))?.split("=")[1]);
      const maxConnections = setting("max_connections");
      const reserved = setting("superuser_reserved_connections");
      expect(maxConnections).toBeGreaterThan(0);
      expect(reserved).toBeGreaterThan(0);
      // timescaledb-tune sizes memory for the same number (first start only).
      expect(Number(envOf(objects, db).TS_TUNE_MAX_CONNS)).toBe(maxConnections);

      const lines: string[] = [];
      let total = 0;
      for (const d of services(objects)) {
        const svc = name(d);
        const env = envOf(objects, mainContainer(d));
        if (!env.DATABASE_URL) continue;
        const pool = poolSize(svc, env);
        expect(pool, `${svc}: no createPool({ max }) found in its sources`).toBeGreaterThan(0);
        const replicas = maxReplicas(objects, d);
        const extra = surge(d, replicas);
        total += (pool ?? 0) * (replicas + extra);
        lines.push(`${svc} ${pool} × (${replicas} + ${extra} surge)`);
      }
      const headroom = Object.values(HEADROOM).reduce((a, b) => a + b, 0);
      const budget = `${lines.join(" + ")} + ${headroom} headroom = ${total + headroom} <= ${maxConnections} - ${reserved} reserved`;
      expect(total + headroom, budget).toBeLessThanOrEqual(maxConnections - reserved);
      expect(lines.length).toBe(deployableServices().length);
    },
  );
});

// -------------------------------------------------------------------------------- least privilege

describe("least-privilege logins", () => {
  const rolesSql = readText("deploy/postgres/roles.sql");

  it.each(["dev", "prod"])("%s: no service logs in as the PostgreSQL superuser or RabbitMQ's administrator", (o) => {
    const objects = builds[o] ?? [];
    for (const d of services(objects)) {
      const svc = name(d);
      const c = mainContainer(d);
      const refs = asArray(c.env).map((e) => asString(dig(e, "valueFrom", "secretKeyRef", "name")));
      expect(refs, svc).not.toContain("sensorstream-db");
      expect(refs, svc).not.toContain("sensorstream-rabbitmq-default-user");
      const env = envOf(objects, c);
      const role = `sensorstream_${svc.replaceAll("-", "_")}`;
      expect(new URL(env.DATABASE_URL ?? "").username, svc).toBe(role);
      expect(rolesSql, `${role} in roles.sql`).toContain(`ALTER ROLE ${role} WITH LOGIN NOSUPERUSER`);
      expect(env.DATABASE_PASSWORD, svc).toBe(`secret.sensorstream-db-users.${svc}`);
      if (env.AMQP_URL) {
        const user = find(objects, "User", `sensorstream-${svc}`);
        expect(user, `${svc}: RabbitMQ User`).toBeDefined();
        expect(env.RABBITMQ_USERNAME, svc).toBe(`secret.sensorstream-${svc}-user-credentials.username`);
        const perm = byKind(objects, "Permission").find((p) => dig(p, "spec", "userReference", "name") === name(user));
        expect(perm, `${svc}: RabbitMQ Permission`).toBeDefined();
      }
    }
  });

  it.each(["dev", "prod"])(
    "%s: every service pod migrates first, as the migration role, then applies the grants",
    (o) => {
      const objects = builds[o] ?? [];
      const dockerfile = readText("Dockerfile");
      for (const d of services(objects)) {
        const init = asArray(dig(d, "spec", "template", "spec", "initContainers")).filter(isObj);
        expect(
          init.map((c) => c.name),
          name(d),
        ).toStrictEqual(["migrate"]);
        const [c] = init;
        expect(c?.image).toBe(mainContainer(d).image);
        expect(c?.args).toStrictEqual(["migrate", "--grants", "/app/grants.sql"]);
        expect(new URL(envOf(objects, c ?? {}).DATABASE_URL ?? "").username).toBe("sensorstream_migrator");
        expect(envOf(objects, c ?? {}).TIMESCALEDB).toBe(envOf(objects, mainContainer(d)).TIMESCALEDB);
      }
      expect(dockerfile).toMatch(/^COPY .*deploy\/postgres\/grants\.sql \/app\/grants\.sql$/m);
      expect(dockerfile).toMatch(/^COPY .*deploy\/docker\/migrate\.mjs \/app\/migrate\.mjs$/m);
    },
  );

  it.each(["dev", "prod"])(
    "%s: the db-roles Job passes every password roles.sql needs, from existing secret keys",
    (o) => {
      const objects = builds[o] ?? [];
      const job = find(objects, "Job", "sensorstream-db-roles");
      const c = asObj(dig(job, "spec", "template", "spec", "containers", 0));
      const script = asArray(c.command).map(String).join(" ");
      const needed = [...new Set([...rolesSql.matchAll(/:'(\w+)'/g)].map((m) => m[1] ?? ""))];
      expect(needed.length).toBeGreaterThan(5);
      const env = envOf(objects, c);
      const placeholder = asObj(dig(find(readSecrets(), "Secret", "sensorstream-db-users"), "stringData"));
      for (const v of needed) {
        const m = script.match(new RegExp(`-v ${v}="\\$(\\w+)"`));
        expect(m, `${v} is not passed to psql`).not.toBeNull();
        const ref = env[m?.[1] ?? ""] ?? "";
        const key = ref.match(/^secret\.sensorstream-db-users\.(.+)$/)?.[1];
        expect(key, `${v}: from the secret sensorstream-db-users`).toBeDefined();
        expect(Object.keys(placeholder), `${v}: key ${key}`).toContain(key);
      }
      expect(env.PGUSER).toBe("secret.sensorstream-db.username");
      const sql = find(objects, "ConfigMap", "sensorstream-db-roles-sql");
      expect(dig(sql, "data", "roles.sql")).toBe(rolesSql);
    },
  );
});

const readSecrets = (): Obj[] =>
  readText("k8s/base/secrets.yaml")
    .split(/^---$/m)
    .map((d) => parseYaml(d) as Obj);

// -------------------------------------------------------------------------------------- RabbitMQ

describe("RabbitMQ nodes", () => {
  it.each(["dev", "prod"])("%s: one node per host and a disruption budget of one", (o) => {
    const objects = builds[o] ?? [];
    const cluster = find(objects, "RabbitmqCluster", "sensorstream-rabbitmq");
    const terms = asArray(
      dig(cluster, "spec", "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"),
    );
    expect(terms).toContainEqual({
      topologyKey: "kubernetes.io/hostname",
      labelSelector: { matchLabels: { "app.kubernetes.io/name": "sensorstream-rabbitmq" } },
    });
    const pdb = byKind(objects, "PodDisruptionBudget").find(
      (p) => dig(p, "spec", "selector", "matchLabels", "app.kubernetes.io/name") === "sensorstream-rabbitmq",
    );
    expect(dig(pdb, "spec", "maxUnavailable")).toBe(1);
    expect(Number(dig(cluster, "spec", "replicas")) - 1).toBeGreaterThanOrEqual(
      Math.floor(Number(dig(cluster, "spec", "replicas")) / 2),
    );
  });
});

// ------------------------------------------------------------------------------- NetworkPolicies

type Source = { namespace: string; labels: Record<string, string> } | "internet";
type Target = { labels: Record<string, string>; ports: Record<string, number> };

const selects = (selector: unknown, labels: Record<string, string>) => {
  const ml = asObj(dig(selector, "matchLabels"));
  return (
    Object.entries(ml).every(([k, v]) => labels[k] === v) && asArray(dig(selector, "matchExpressions")).length === 0
  );
};

/** Whether the namespace's policies let `source` reach `port` on `target` (ingress, as a CNI would decide). */
function reachable(objects: Obj[], target: Target, port: number, source: Source): boolean {
  const policies = byKind(objects, "NetworkPolicy").filter((p) =>
    selects(dig(p, "spec", "podSelector"), target.labels),
  );
  const isolating = policies.filter((p) => asArray(dig(p, "spec", "policyTypes")).includes("Ingress"));
  if (isolating.length === 0) return true;
  return isolating.some((p) =>
    asArray(dig(p, "spec", "ingress")).some((rule) => {
      const ports = asArray(dig(rule, "ports"));
      const portOk =
        ports.length === 0 ||
        ports.some((x) => {
          const v = dig(x, "port");
          return typeof v === "number" ? v === port : target.ports[String(v)] === port;
        });
      const from = asArray(dig(rule, "from"));
      const fromOk =
        from.length === 0 ||
        (source !== "internet" &&
          from.some((peer) => {
            const ns = dig(peer, "namespaceSelector");
            const pod = dig(peer, "podSelector");
            const nsOk =
              ns === undefined
                ? source.namespace === "sensorstream"
                : selects(ns, { "kubernetes.io/metadata.name": source.namespace });
            const podOk = pod === undefined || selects(pod, source.labels);
            return nsOk && podOk && (ns !== undefined || pod !== undefined);
          }));
      return portOk && fromOk;
    }),
  );
}

function podOf(objects: Obj[], kind: string, n: string): Target {
  const o = find(objects, kind, n);
  const labels = Object.fromEntries(
    Object.entries(asObj(dig(o, "spec", "template", "metadata", "labels"))).map(([k, v]) => [k, String(v)]),
  );
  const ports: Record<string, number> = {};
  for (const c of asArray(dig(o, "spec", "template", "spec", "containers")))
    for (const p of asArray(dig(c, "ports"))) ports[asString(dig(p, "name")) ?? ""] = Number(dig(p, "containerPort"));
  return { labels, ports };
}

describe("NetworkPolicies", () => {
  it.each(["dev", "prod"])(
    "%s: deny by default; services reach the broker and the database, nothing else does",
    (o) => {
      const objects = builds[o] ?? [];
      const deny = byKind(objects, "NetworkPolicy").find(
        (p) =>
          Object.keys(asObj(dig(p, "spec", "podSelector"))).length === 0 &&
          asArray(dig(p, "spec", "ingress")).length === 0,
      );
      expect(deny, "a default-deny ingress policy").toBeDefined();
      const rabbit: Target = { labels: { "app.kubernetes.io/name": "sensorstream-rabbitmq" }, ports: {} };
      const db = podOf(objects, "StatefulSet", "sensorstream-timescaledb");
      const gateway = podOf(objects, "Deployment", "gateway");
      const registry = podOf(objects, "Deployment", "registry");
      const inNs = (labels: Record<string, string>): Source => ({ namespace: "sensorstream", labels });
      const prometheus: Source = { namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" } };
      const grafana: Source = { namespace: "monitoring", labels: { "app.kubernetes.io/name": "grafana" } };
      const stranger = inNs({ "app.kubernetes.io/name": "simulator", "app.kubernetes.io/component": "tool" });
      const otherNs: Source = { namespace: "default", labels: { "app.kubernetes.io/component": "service" } };

      for (const svc of services(objects)) {
        const me = inNs(podOf(objects, "Deployment", name(svc)).labels);
        expect(reachable(objects, rabbit, 5672, me), `${name(svc)} -> rabbitmq`).toBe(true);
        expect(reachable(objects, db, 5432, me), `${name(svc)} -> timescaledb`).toBe(true);
      }
      for (const [who, src] of [
        ["a tool pod", stranger],
        ["another namespace", otherNs],
        ["the internet", "internet"],
      ] as const) {
        expect(reachable(objects, rabbit, 5672, src), `${who} -> rabbitmq 5672`).toBe(false);
        expect(reachable(objects, db, 5432, src), `${who} -> timescaledb 5432`).toBe(false);
        expect(reachable(objects, gateway, 8080, src), `${who} -> gateway 8080`).toBe(false);
        expect(reachable(objects, registry, 8080, src), `${who} -> registry 8080`).toBe(false);
      }
      expect(reachable(objects, db, 5432, inNs({ "app.kubernetes.io/name": "db-roles" }))).toBe(true);
      expect(reachable(objects, db, 5432, grafana)).toBe(true);
      expect(reachable(objects, rabbit, 5672, { namespace: "keda", labels: {} })).toBe(true);
      // Prometheus reaches the metrics ports, and only those.
      expect(reachable(objects, registry, 8080, prometheus)).toBe(true);
      expect(reachable(objects, gateway, 8080, prometheus)).toBe(true);
      expect(reachable(objects, rabbit, 15692, prometheus)).toBe(true);
      expect(reachable(objects, rabbit, 5672, prometheus)).toBe(false);
      expect(reachable(objects, db, 5432, prometheus)).toBe(false);
      // Devices reach the gateway's MQTT listeners from anywhere (the load balancer keeps their address).
      for (const port of ["mqtt", "mqtt-ws", "mqtt-tls", "mqtt-wss"]) {
        const n = gateway.ports[port];
        if (n === undefined) continue;
        expect(reachable(objects, gateway, n, "internet"), `internet -> gateway ${port}`).toBe(true);
      }
    },
  );
});

// ----------------------------------------------------------------------------- monitoring, Grafana

describe("monitoring components", () => {
  it("labels every PodMonitor for kube-prometheus-stack, set in one place", () => {
    const monitors = byKind(builds["prod+optional"] ?? [], "PodMonitor");
    expect(monitors.length).toBeGreaterThan(0);
    for (const m of monitors)
      expect(dig(m, "metadata", "labels", "release"), kindName(m)).toBe("kube-prometheus-stack");
    const files = readdirSync(at("k8s"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".yaml"));
    const setting = files.filter((f) =>
      readText("k8s", f)
        .split("\n")
        .some((l) => /^\s*release:\s*kube-prometheus-stack\s*$/.test(l)),
    );
    expect(setting).toStrictEqual(["components/prometheus-operator/kustomization.yaml"]);
  });

  it("ships the dashboards of deploy/grafana/dashboards as a sidecar ConfigMap, generated from the files", () => {
    const cm = find(builds["prod+optional"] ?? [], "ConfigMap", "sensorstream-dashboards");
    expect(dig(cm, "metadata", "labels", "grafana_dashboard")).toBe("1");
    expect(dig(cm, "metadata", "namespace")).toBe("sensorstream");
    const files = readdirSync(at("deploy/grafana/dashboards"))
      .filter((f) => f.endsWith(".json"))
      .sort();
    const data = asObj(dig(cm, "data"));
    expect(Object.keys(data).sort()).toStrictEqual(files);
    for (const f of files)
      expect(JSON.parse(String(data[f]))).toStrictEqual(JSON.parse(readText("deploy/grafana/dashboards", f)));
  });
});

// ------------------------------------------------------------------------------------------ TLS

describe("MQTT over TLS (prod)", () => {
  it("mounts sensorstream-mqtt-tls into the gateway, points the TLS variables at it, and exposes 8883/8884", () => {
    const objects = builds.prod ?? [];
    const d = find(objects, "Deployment", "gateway");
    const c = mainContainer(d);
    const vol = asArray(dig(d, "spec", "template", "spec", "volumes")).find(
      (v) => dig(v, "secret", "secretName") === "sensorstream-mqtt-tls",
    );
    expect(vol).toBeDefined();
    const mount = asArray(c.volumeMounts).find((m) => dig(m, "name") === dig(vol, "name"));
    const dir = asString(dig(mount, "mountPath")) ?? "";
    expect(dig(mount, "readOnly")).toBe(true);
    const env = envOf(objects, c);
    expect(env.MQTT_TLS_CERT_FILE).toBe(`${dir}/tls.crt`);
    expect(env.MQTT_TLS_KEY_FILE).toBe(`${dir}/tls.key`);
    if (env.MQTT_TLS_CA_FILE) expect(env.MQTT_TLS_CA_FILE).toBe(`${dir}/ca.crt`);
    const ports = podOf(objects, "Deployment", "gateway").ports;
    expect(ports["mqtt-tls"]).toBe(Number(env.MQTT_TLS_PORT));
    expect(ports["mqtt-wss"]).toBe(Number(env.MQTT_WSS_PORT));
    expect([env.MQTT_TLS_PORT, env.MQTT_WSS_PORT]).toStrictEqual(["8883", "8884"]);
    expect(env.MQTT_PROXY_PROTOCOL).toBeDefined();
    // The mounted key is readable by the gateway's user through its group.
    expect(dig(d, "spec", "template", "spec", "securityContext", "fsGroup")).toBe(
      dig(d, "spec", "template", "spec", "securityContext", "runAsGroup"),
    );
    const lb = find(objects, "Service", "gateway-mqtt");
    expect(dig(lb, "spec", "type")).toBe("LoadBalancer");
    // The client's address reaches the gateway (per-IP limits) without PROXY protocol.
    expect(dig(lb, "spec", "externalTrafficPolicy")).toBe("Local");
    expect(env.MQTT_PROXY_PROTOCOL).toBe("false");
    const lbPorts = asArray(dig(lb, "spec", "ports")).map((p) => [dig(p, "port"), dig(p, "targetPort")]);
    expect(lbPorts).toEqual(
      expect.arrayContaining([
        [8883, "mqtt-tls"],
        [8884, "mqtt-wss"],
      ]),
    );
  });

  it("has cert-manager issue exactly that Secret (example component)", () => {
    const cert = find(builds["prod+optional"] ?? [], "Certificate", "sensorstream-mqtt");
    expect(dig(cert, "spec", "secretName")).toBe("sensorstream-mqtt-tls");
    expect(asArray(dig(cert, "spec", "dnsNames")).length).toBeGreaterThan(0);
  });
});

// ------------------------------------------------------------------------------------ simulator

describe("the simulator in the cluster", () => {
  it.each(["dev", "prod+optional"])(
    "%s: provisions its sensors through the API and logs each in with its token",
    (b) => {
      const objects = builds[b] ?? [];
      const d = find(objects, "Deployment", "simulator");
      const c = mainContainer(d);
      const [cmd, ...args] = asArray(c.args).map(String);
      expect(cmd).toBe("simulator");
      const env = envOf(objects, c);
      const parsed = parseSimulatorArgs(args, { API_TOKEN: env.API_TOKEN });
      expect(parsed.kind, JSON.stringify(parsed)).toBe("run");
      if (parsed.kind !== "run") return;
      expect(env.API_TOKEN).toBe("secret.sensorstream-api.API_TOKEN");
      const api = new URL(parsed.setup?.provision?.apiUrl ?? "");
      const apiService = find(objects, "Service", api.hostname);
      expect(asArray(dig(apiService, "spec", "ports")).map((p) => dig(p, "port"))).toContain(Number(api.port));
      const mqtt = new URL(parsed.fleet.mqttUrl);
      const gw = find(objects, "Service", mqtt.hostname);
      expect(asArray(dig(gw, "spec", "ports")).map((p) => dig(p, "port"))).toContain(Number(mqtt.port));
    },
  );
});
