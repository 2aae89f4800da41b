/**
 * The Kubernetes manifests, proved without a cluster: every overlay (and each with the optional
 * components) builds with `kubectl kustomize`; every object validates against the Kubernetes
 * OpenAPI schemas (kubernetes-models) or its CRD's schema (KEDA, Prometheus Operator), strictly
 * (an unknown field fails, as `kubectl apply` does); and the objects fit together (selectors,
 * ports, probes, drain time, autoscalers, secrets, the service list).
 * Not proved here: that a cluster accepts and runs them (admission, the operators' own validation,
 * image pulls, scheduling), and the RabbitmqCluster against its CRD (no schema for it offline).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { QUEUES } from "@sensorstream/bus";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
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
  K8S_NAMESPACE,
  KUBECTL_MISSING,
  kindName,
  kubectlPath,
  kustomize,
  kustomizeWithComponents,
  type Obj,
  parseEnvFile,
  ROOT,
  readText,
} from "./deploy-support.js";

const OVERLAYS = readdirSync(at("k8s/overlays")).sort();
const COMPONENTS = readdirSync(at("k8s/components")).sort();

/** The optional components an overlay does not already include. */
const optionalFor = (overlay: string): string[] =>
  COMPONENTS.filter(
    (c) => !readText("k8s/overlays", overlay, "kustomization.yaml").includes(`\n  - ../../components/${c}\n`),
  );

/** What is built and checked: each overlay, and each overlay with every optional component. */
const BUILDS: { name: string; build: () => Obj[] }[] = [
  ...OVERLAYS.map((o) => ({ name: o, build: () => kustomize(at("k8s/overlays", o)) })),
  ...OVERLAYS.map((o) => ({
    name: `${o}+${optionalFor(o).join("+")}`,
    build: () =>
      kustomizeWithComponents(
        `k8s/overlays/${o}`,
        optionalFor(o).map((c) => `k8s/components/${c}`),
      ),
  })),
];

/** Kinds with no schema available offline (checked for intent below, not against a schema). */
const NO_OFFLINE_SCHEMA = new Set([
  "rabbitmq.com/v1beta1/RabbitmqCluster",
  "rabbitmq.com/v1beta1/User",
  "rabbitmq.com/v1beta1/Permission",
  "rabbitmq.com/v1beta1/Policy",
]);

/** Created by the RabbitMQ Cluster Operator, never by these manifests. */
const OPERATOR_SECRETS = new Set(["sensorstream-rabbitmq-default-user"]);
/** The Messaging Topology Operator puts a User's generated credentials in the Secret <user>-user-credentials. */
const userSecrets = (objects: Obj[]) =>
  new Set(byKind(objects, "User").map((u) => `${asString(dig(u, "metadata", "name"))}-user-credentials`));
/** Created by the operator of a production cluster before `kubectl apply -k k8s/overlays/prod` (docs/deployment.md). */
const PRECREATED_IN_PROD = new Set(["sensorstream-db", "sensorstream-api", "sensorstream-db-users"]);

const DRAIN_TIMEOUT_MS = Number(parseEnvFile(readText("k8s/base/platform.env")).DRAIN_TIMEOUT_MS);

function modelModule(apiVersion: string): string | undefined {
  if (apiVersion.startsWith("keda.sh/")) return `@kubernetes-models/keda/${apiVersion}`;
  if (apiVersion.startsWith("monitoring.coreos.com/")) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  if (apiVersion.startsWith("cert-manager.io/")) return `@kubernetes-models/cert-manager/${apiVersion}`;
  if (apiVersion.includes(".") && !apiVersion.includes(".k8s.io/")) return undefined;
  return `kubernetes-models/${apiVersion}`;
}

type Model = { validate(): void };
type ModelClass = new (data: unknown) => Model;

async function modelClass(o: Obj): Promise<ModelClass | undefined> {
  const apiVersion = asString(o.apiVersion) ?? "";
  const kind = asString(o.kind) ?? "";
  const mod = modelModule(apiVersion);
  if (!mod) return undefined;
  const exports = (await import(mod)) as Record<string, unknown>;
  const cls = exports[kind];
  return typeof cls === "function" ? (cls as ModelClass) : undefined;
}

/**
 * Unknown fields, which the JSON schemas allow but `kubectl apply` rejects: every object is
 * assigned to its generated TypeScript interface, whose excess-property check names the field.
 */
function unknownFieldErrors(objects: Obj[]): string[] {
  const imports = new Map<string, string>();
  const decls: string[] = [];
  objects.forEach((o, i) => {
    const mod = modelModule(asString(o.apiVersion) ?? "");
    if (!mod) return;
    const type = `T${imports.size}`;
    const key = `${mod}/${asString(o.kind)}`;
    if (!imports.has(key)) imports.set(key, `import type { I${asString(o.kind)} as ${type} } from "${key}";`);
    const alias = (imports.get(key) ?? "").match(/ as (T\d+) /)?.[1] ?? type;
    decls.push(`// ${kindName(o)}\nexport const o${i}: ${alias} = ${JSON.stringify(o)};`);
  });
  const file = `${ROOT}test/integration/__k8s_strict_check__.ts`;
  const source = [...imports.values(), ...decls].join("\n");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const where = line >= 0 ? (source.split("\n")[line - 1] ?? "") : "";
    return `${where.replace(/^\/\/ /, "")}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
}

const pods = (objects: Obj[]) =>
  [...byKind(objects, "Deployment"), ...byKind(objects, "StatefulSet")].map((o) => ({
    name: asString(dig(o, "metadata", "name")) ?? "",
    owner: o,
    labels: asObj(dig(o, "spec", "template", "metadata", "labels")),
    spec: asObj(dig(o, "spec", "template", "spec")),
  }));

const matches = (selector: Obj, labels: Obj) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

const containers = (spec: Obj): Obj[] => asArray(spec.containers).filter(isObj);

describe.each(BUILDS)("k8s build $name", ({ name, build }) => {
  let objects: Obj[] = [];

  beforeAll(() => {
    if (!kubectlPath()) throw new Error(KUBECTL_MISSING);
    objects = build();
  });

  it("builds, with each object once and every namespaced object in the sensorstream namespace", () => {
    expect(objects.length).toBeGreaterThan(10);
    const ids = objects.map(kindName);
    expect(new Set(ids).size).toBe(ids.length);
    for (const o of objects) {
      if (o.kind === "Namespace") continue;
      expect(dig(o, "metadata", "namespace"), kindName(o)).toBe(K8S_NAMESPACE);
    }
    expect(find(objects, "Namespace", K8S_NAMESPACE)).toBeDefined();
  });

  it("validates every object against its Kubernetes or CRD schema", async () => {
    const unchecked: string[] = [];
    for (const o of objects) {
      const cls = await modelClass(o);
      if (!cls) {
        unchecked.push(`${asString(o.apiVersion)}/${asString(o.kind)}`);
        continue;
      }
      expect(() => new cls(o).validate(), kindName(o)).not.toThrow();
    }
    // Only the kinds known to have no schema here escape validation; a new kind must add one.
    expect(new Set(unchecked)).toStrictEqual(new Set([...NO_OFFLINE_SCHEMA].filter((k) => unchecked.includes(k))));
    expect(unchecked.length).toBeGreaterThan(0);
  });

  it("has no field the schemas do not know (as kubectl apply's strict field validation)", () => {
    expect(unknownFieldErrors(objects)).toStrictEqual([]);
  });

  it("runs every released service, and only those, as a Deployment", () => {
    const services = byKind(objects, "Deployment")
      .filter((d) => component(d) === "service")
      .map((d) => asString(dig(d, "metadata", "name")))
      .sort();
    expect(services).toStrictEqual(deployableServices());
  });

  it("gives every service the image, probes, drain time, resources and security the platform expects", () => {
    for (const d of byKind(objects, "Deployment").filter((x) => component(x) === "service")) {
      const svc = asString(dig(d, "metadata", "name")) ?? "";
      const spec = asObj(dig(d, "spec", "template", "spec"));
      const [c, ...others] = containers(spec);
      expect(others, svc).toStrictEqual([]);
      expect(asString(c?.image), svc).toMatch(/(^|\/)sensorstream:[\w.-]+$/);
      expect(c?.args, svc).toStrictEqual([svc]);
      const http = asArray(c?.ports).find((p) => dig(p, "name") === "http");
      expect(dig(http, "containerPort"), svc).toBe(8080);
      // Liveness never depends on RabbitMQ or PostgreSQL: /healthz. Readiness does: /readyz.
      expect(dig(c, "livenessProbe", "httpGet"), svc).toStrictEqual({ path: "/healthz", port: "http" });
      expect(dig(c, "startupProbe", "httpGet"), svc).toStrictEqual({ path: "/healthz", port: "http" });
      expect(dig(c, "readinessProbe", "httpGet"), svc).toStrictEqual({ path: "/readyz", port: "http" });
      // SIGKILL must never cut a drain short: grace > preStop pause + DRAIN_TIMEOUT_MS.
      const preStop = asArray(dig(c, "lifecycle", "preStop", "exec", "command"));
      const pause = preStop[0] === "sleep" ? Number(preStop[1]) : 0;
      expect(Number(spec.terminationGracePeriodSeconds) * 1000, svc).toBeGreaterThan(pause * 1000 + DRAIN_TIMEOUT_MS);
      for (const r of ["cpu", "memory"]) {
        expect(dig(c, "resources", "requests", r), `${svc} requests.${r}`).toBeDefined();
        expect(dig(c, "resources", "limits", r), `${svc} limits.${r}`).toBeDefined();
      }
      expect(dig(spec, "securityContext", "runAsNonRoot"), svc).toBe(true);
      expect(dig(c, "securityContext", "allowPrivilegeEscalation"), svc).toBe(false);
      expect(dig(d, "spec", "template", "metadata", "annotations")).toMatchObject({
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "8080",
        "prometheus.io/path": "/metrics",
      });
    }
  });

  it("selects existing pods and named container ports from every Service and PodDisruptionBudget", () => {
    const all = pods(objects);
    for (const s of byKind(objects, "Service")) {
      const selected = all.filter((p) => matches(asObj(dig(s, "spec", "selector")), p.labels));
      expect(selected.length, kindName(s)).toBeGreaterThan(0);
      const portNames = new Set(
        selected.flatMap((p) => containers(p.spec).flatMap((c) => asArray(c.ports).map((x) => dig(x, "name")))),
      );
      for (const port of asArray(dig(s, "spec", "ports"))) {
        expect(portNames.has(dig(port, "targetPort") ?? null), `${kindName(s)} ${dig(port, "name")}`).toBe(true);
      }
    }
    const workloads = all.filter((p) => component(p.owner) === "service");
    for (const p of workloads) {
      const pdbs = byKind(objects, "PodDisruptionBudget").filter((b) =>
        matches(asObj(dig(b, "spec", "selector", "matchLabels")), p.labels),
      );
      expect(pdbs.length, `PodDisruptionBudget for ${p.name}`).toBe(1);
    }
  });

  it("scales each ingester with exactly one autoscaler, which owns its replica count", () => {
    const targets = [
      ...byKind(objects, "HorizontalPodAutoscaler").map((h) => asString(dig(h, "spec", "scaleTargetRef", "name"))),
      ...byKind(objects, "ScaledObject").map((s) => asString(dig(s, "spec", "scaleTargetRef", "name"))),
    ];
    expect(new Set(targets).size, "two autoscalers on one Deployment").toBe(targets.length);
    const ingesters = deployableServices().filter((s) => s.endsWith("-ingester"));
    expect(ingesters).toContain("measurement-ingester");
    for (const i of ingesters) expect(targets, i).toContain(i);
    for (const t of targets) {
      const d = find(objects, "Deployment", t ?? "");
      expect(d, `autoscaler target ${t}`).toBeDefined();
      expect(dig(d, "spec", "replicas"), `${t} sets replicas: every apply would fight the autoscaler`).toBeUndefined();
    }
    for (const h of byKind(objects, "HorizontalPodAutoscaler")) {
      expect(Number(dig(h, "spec", "minReplicas"))).toBeLessThanOrEqual(Number(dig(h, "spec", "maxReplicas")));
    }
  });

  it("points KEDA at the queues the services consume, authenticated with a fully qualified broker address", () => {
    const queueNames = new Set<string>(Object.values(QUEUES).map((q) => q.name));
    for (const so of byKind(objects, "ScaledObject")) {
      for (const t of asArray(dig(so, "spec", "triggers")).filter((x) => dig(x, "type") === "rabbitmq")) {
        expect(queueNames.has(asString(dig(t, "metadata", "queueName")) ?? ""), kindName(so)).toBe(true);
        // KEDA's operator resolves names in its own namespace: no host from the Deployment's short names.
        expect(dig(t, "metadata", "hostFromEnv"), kindName(so)).toBeUndefined();
        expect(dig(t, "metadata", "host"), kindName(so)).toBeUndefined();
        const auth = find(objects, "TriggerAuthentication", asString(dig(t, "authenticationRef", "name")) ?? "");
        expect(auth, `${kindName(so)}: TriggerAuthentication`).toBeDefined();
        expect(asArray(dig(auth, "spec", "secretTargetRef"))).toContainEqual({
          parameter: "host",
          name: "sensorstream-rabbitmq-default-user",
          key: "connection_string",
        });
      }
    }
  });

  it("refers only to secrets and config maps that exist or that are documented as created elsewhere", () => {
    const secrets = new Set(byKind(objects, "Secret").map((s) => asString(dig(s, "metadata", "name"))));
    const configMaps = new Set(byKind(objects, "ConfigMap").map((s) => asString(dig(s, "metadata", "name"))));
    const prod = name.startsWith("prod");
    for (const p of pods(objects)) {
      for (const c of containers(p.spec)) {
        for (const e of asArray(c.env)) {
          const ref = asString(dig(e, "valueFrom", "secretKeyRef", "name"));
          if (!ref) continue;
          const known =
            secrets.has(ref) ||
            OPERATOR_SECRETS.has(ref) ||
            userSecrets(objects).has(ref) ||
            (prod && PRECREATED_IN_PROD.has(ref));
          expect(known, `${p.name}: secret ${ref}`).toBe(true);
        }
        for (const e of asArray(c.envFrom)) {
          const cm = asString(dig(e, "configMapRef", "name"));
          if (cm) expect(configMaps.has(cm), `${p.name}: config map ${cm}`).toBe(true);
        }
      }
    }
    const placeholders = byKind(objects, "Secret").filter(
      (s) => dig(s, "metadata", "annotations", "sensorstream.dev/placeholder") === "true",
    );
    if (prod) expect(placeholders.map(kindName)).toStrictEqual([]);
  });

  it("defines every $(VAR) a container's env refers to before the reference", () => {
    for (const p of pods(objects)) {
      for (const c of containers(p.spec)) {
        const defined = new Set<string>();
        for (const e of asArray(c.envFrom)) {
          const cm = find(objects, "ConfigMap", asString(dig(e, "configMapRef", "name")) ?? "");
          for (const k of Object.keys(asObj(dig(cm, "data")))) defined.add(k);
        }
        for (const e of asArray(c.env)) {
          for (const m of (asString(dig(e, "value")) ?? "").matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
            expect(defined.has(m[1] ?? ""), `${p.name}: $(${m[1]}) in ${asString(dig(e, "name"))}`).toBe(true);
          }
          defined.add(asString(dig(e, "name")) ?? "");
        }
      }
    }
  });

  it("asks the RabbitMQ Cluster Operator for an odd-sized cluster with quorum queues by default", () => {
    const [cluster, ...more] = byKind(objects, "RabbitmqCluster");
    expect(more).toStrictEqual([]);
    expect(cluster?.apiVersion).toBe("rabbitmq.com/v1beta1");
    expect(Number(dig(cluster, "spec", "replicas")) % 2).toBe(1);
    expect(asString(dig(cluster, "spec", "rabbitmq", "additionalConfig"))).toMatch(/^default_queue_type = quorum$/m);
    expect(asString(dig(cluster, "spec", "image"))).toMatch(/^rabbitmq:4\.\d+-management$/);
  });
});

describe("k8s layout", () => {
  it("lists a directory under k8s/base/services for every released service, and only for those", () => {
    const listed = readText("k8s/base/kustomization.yaml")
      .split("\n")
      .map((l) => l.match(/^\s*-\s*services\/([\w-]+)\s*$/)?.[1])
      .filter((s): s is string => s !== undefined)
      .sort();
    expect(listed).toStrictEqual(deployableServices());
    for (const svc of deployableServices())
      expect(existsSync(at("k8s/base/services", svc, "kustomization.yaml"))).toBe(true);
  });

  it("keeps unreleased services' directories buildable and valid, ready to be listed", async () => {
    if (!kubectlPath()) throw new Error(KUBECTL_MISSING);
    const dirs = readdirSync(at("k8s/base/services")).filter((d) => !deployableServices().includes(d));
    for (const d of dirs) {
      const objects = kustomize(at("k8s/base/services", d));
      expect(find(objects, "Deployment", d), d).toBeDefined();
      for (const o of objects) {
        const cls = await modelClass(o);
        expect(cls, kindName(o)).toBeDefined();
        if (cls) expect(() => new cls(o).validate(), `${d}: ${kindName(o)}`).not.toThrow();
      }
      expect(unknownFieldErrors(objects)).toStrictEqual([]);
    }
  });

  it("gives the dev overlay a laptop-sized platform and the simulator, and prod neither", () => {
    if (!kubectlPath()) throw new Error(KUBECTL_MISSING);
    const dev = kustomize(at("k8s/overlays/dev"));
    const prod = kustomize(at("k8s/overlays/prod"));
    expect(dig(find(dev, "RabbitmqCluster", "sensorstream-rabbitmq"), "spec", "replicas")).toBe(1);
    expect(dig(find(prod, "RabbitmqCluster", "sensorstream-rabbitmq"), "spec", "replicas")).toBe(3);
    expect(find(dev, "Deployment", "simulator")).toBeDefined();
    expect(find(prod, "Deployment", "simulator")).toBeUndefined();
    const gatewayConfig = (objs: Obj[]) =>
      asObj(
        dig(
          byKind(objs, "ConfigMap").find((c) => asString(dig(c, "metadata", "name"))?.startsWith("gateway-config")),
          "data",
        ),
      );
    expect(gatewayConfig(dev).MQTT_AUTH).toBe("open");
    expect(gatewayConfig(prod).MQTT_AUTH).toBe("required");
    expect(dig(find(prod, "Service", "gateway-mqtt"), "spec", "type")).toBe("LoadBalancer");
    const image = (objs: Obj[]) =>
      asString(dig(find(objs, "Deployment", "gateway"), "spec", "template", "spec", "containers", 0, "image"));
    expect(image(prod)).not.toMatch(/:(latest|dev)$/);
  });

  it("has a kustomization in every component and overlay (nothing silently left out of the builds)", () => {
    for (const dir of [...OVERLAYS.map((o) => `k8s/overlays/${o}`), ...COMPONENTS.map((c) => `k8s/components/${c}`)]) {
      expect(existsSync(at(dir, "kustomization.yaml")), dir).toBe(true);
    }
    expect(OVERLAYS).toStrictEqual(expect.arrayContaining(["dev", "prod"]));
    expect(COMPONENTS).toStrictEqual(expect.arrayContaining(["keda", "prometheus-operator"]));
    expect(readFileSync(at("k8s/components/keda/kustomization.yaml"), "utf8")).toMatch(/kind: Component/);
  });
});
