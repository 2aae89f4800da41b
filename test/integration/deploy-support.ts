/**
 * Shared by the deploy-*.test.ts files: where things are, which services exist, and readers for
 * compose.yaml and `kubectl kustomize` output. No network, no Docker engine, no cluster.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, parse as parseYaml } from "yaml";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const at = (...parts: string[]): string => join(ROOT, ...parts);
export const readText = (...parts: string[]): string => readFileSync(at(...parts), "utf8");

/** Run by `npm start` only (every service in one process): never deployed on its own. */
const NOT_DEPLOYED = ["all-in-one"] as const;
/** Tools, not services: no HTTP endpoint; in compose under a profile, in Kubernetes in dev only. */
export const TOOLS = ["simulator"] as const;

/** Every directory under services/. */
function serviceDirs(): string[] {
  return readdirSync(at("services"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** A service is released once it has an entry point: services/<svc>/src/main.ts. */
const isReleased = (svc: string): boolean => existsSync(at("services", svc, "src", "main.ts"));

/** The services that run as their own process in compose and Kubernetes. */
export function deployableServices(): string[] {
  const skip = new Set<string>([...NOT_DEPLOYED, ...TOOLS]);
  return serviceDirs().filter((s) => !skip.has(s) && isReleased(s));
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Obj = { [key: string]: Json };

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** `o.a.b.c`, or undefined as soon as a step is missing. */
export function dig(v: unknown, ...path: (string | number)[]): Json | undefined {
  let cur: unknown = v;
  for (const key of path) {
    if (typeof key === "number") {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[key];
    } else {
      if (!isObj(cur)) return undefined;
      cur = cur[key];
    }
  }
  return cur as Json | undefined;
}

export const asArray = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
export const asObj = (v: Json | undefined): Obj => (isObj(v) ? v : {});
export const asString = (v: Json | undefined): string | undefined => (typeof v === "string" ? v : undefined);

// ---------------------------------------------------------------------------------------- compose

/** compose.yaml as compose reads it: YAML merge keys (`<<`) resolved, before interpolation. */
export function loadComposeRaw(): Obj {
  const doc = parseYaml(readText("compose.yaml"), { merge: true }) as unknown;
  if (!isObj(doc)) throw new Error("compose.yaml is not a mapping");
  return doc;
}

const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$\$/g;

/** Every `${VAR...}` in compose.yaml with its operator, to check that each has a default. */
export function composeVariables(): { name: string; op: string | undefined }[] {
  const found: { name: string; op: string | undefined }[] = [];
  for (const m of readText("compose.yaml").matchAll(INTERPOLATION)) {
    if (m[0] === "$$") continue;
    found.push({ name: m[1] ?? "", op: m[2] });
  }
  return found;
}

/** Compose's interpolation with an empty environment: `${X:-d}` and `${X-d}` become d. */
function interpolate(value: Json): Json {
  if (typeof value === "string") {
    return value.replace(INTERPOLATION, (all, _name: string, op: string | undefined, arg: string | undefined) => {
      if (all === "$$") return "$";
      if (op === ":-" || op === "-") return arg ?? "";
      throw new Error(`compose.yaml: ${all} has no default; \`docker compose up\` would need it set`);
    });
  }
  if (Array.isArray(value)) return value.map(interpolate);
  if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v)]));
  return value;
}

/** The compose model after merge keys and interpolation (what `docker compose config` would print, roughly). */
export function loadCompose(): Obj {
  return asObj(interpolate(loadComposeRaw()));
}

export function composeServices(compose: Obj = loadCompose()): Record<string, Obj> {
  return Object.fromEntries(Object.entries(asObj(compose.services)).map(([k, v]) => [k, asObj(v)]));
}

/** A service's `environment` as a map (compose allows a map or a list of KEY=VALUE). */
export function composeEnv(service: Obj): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e) => {
        const s = String(e);
        const i = s.indexOf("=");
        return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(asObj(env)).map(([k, v]) => [k, v === null ? "" : String(v)]));
}

/** The service a sensorstream container runs: the first word of its command (the image's entrypoint maps it). */
export function composeCommandService(service: Obj): string | undefined {
  const cmd = service.command;
  if (Array.isArray(cmd)) return asString(cmd[0]);
  return typeof cmd === "string" ? cmd.split(/\s+/)[0] : undefined;
}

// ------------------------------------------------------------------------------------- kubernetes

export const K8S_NAMESPACE = "sensorstream";

export function kubectlPath(): string | undefined {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "pipe" });
    return "kubectl";
  } catch {
    return undefined;
  }
}

export const KUBECTL_MISSING =
  "kubectl is not on PATH: the Kubernetes manifests are built with `kubectl kustomize` (kustomize is part of kubectl). " +
  "Install kubectl (any client >= 1.27) and run the tests again.";

/** `kubectl kustomize <dir>` parsed into objects. */
export function kustomize(dir: string): Obj[] {
  const out = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(out)
    .map((d) => d.toJSON() as unknown)
    .filter(isObj);
}

/**
 * An overlay plus components, built the way a user enables them (a kustomization that lists the
 * overlay as a resource and the components), in a temporary directory: kustomize takes relative paths only.
 */
export function kustomizeWithComponents(overlay: string, components: string[]): Obj[] {
  const dir = mkdtempSync(join(tmpdir(), "sensorstream-kustomize-"));
  try {
    const rel = (p: string) => relative(dir, at(p));
    writeFileSync(
      join(dir, "kustomization.yaml"),
      [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        `namespace: ${K8S_NAMESPACE}`,
        "resources:",
        `  - ${rel(overlay)}`,
        "components:",
        ...components.map((c) => `  - ${rel(c)}`),
        "",
      ].join("\n"),
    );
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const kindName = (o: Obj): string => `${asString(o.kind)}/${asString(dig(o, "metadata", "name"))}`;

export function byKind(objects: Obj[], kind: string): Obj[] {
  return objects.filter((o) => o.kind === kind);
}

export function find(objects: Obj[], kind: string, name: string): Obj | undefined {
  return objects.find((o) => o.kind === kind && dig(o, "metadata", "name") === name);
}

export const component = (o: Obj): string | undefined =>
  asString(dig(o, "spec", "template", "metadata", "labels", "app.kubernetes.io/component"));

/** A KEY=VALUE file (configMapGenerator envs, .env.example): comments and blank lines skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
