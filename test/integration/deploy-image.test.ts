/**
 * The container image without a Docker engine: the Dockerfile's shape (multi-stage on a Node LTS,
 * production dependencies only, non-root, a node health check, migrations included), a build
 * context that holds what the build needs, and the two scripts the image runs, executed here:
 * the entrypoint that maps a service name to its main, and the health check.
 * Not proved here: that `docker build` succeeds and the image starts (no engine on this machine).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { at, deployableServices, readText, TOOLS } from "./deploy-support.js";

const run = promisify(execFile);

async function exitOf(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(cmd, args, { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 20_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

const dockerfile = readText("Dockerfile");
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));

describe("Dockerfile", () => {
  it("builds in stages on an even-numbered (LTS) Node release, ending in a runtime stage", () => {
    const from = instructions.filter((l) => l.startsWith("FROM "));
    expect(from.length).toBeGreaterThanOrEqual(3);
    const version = dockerfile.match(/^ARG NODE_VERSION=(\d+)$/m)?.[1];
    expect(Number(version) % 2).toBe(0);
    expect(Number(version)).toBeGreaterThanOrEqual(22);
    expect(from[0]).toMatch(/^FROM node:\$\{NODE_VERSION\}-(alpine|slim|bookworm-slim|trixie-slim) AS base$/);
    expect(from.at(-1)).toMatch(/ AS runtime$/);
  });

  it("installs from the lockfile, builds, then keeps production dependencies only", () => {
    const order = ["npm ci", "npm run build", "npm prune --omit=dev"].map((s) => dockerfile.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toStrictEqual(order);
    expect(dockerfile).not.toMatch(/npm install(?! -g)/);
  });

  it("ships the migrations the db library reads at run time, next to its dist", () => {
    expect(readText("libs/db/src/migrations.ts")).toContain('new URL("../migrations/", import.meta.url)');
    expect(dockerfile).toMatch(/libs\/\*\/dist libs\/db\/migrations/);
    expect(dockerfile).toMatch(/services\/\*\/dist/);
  });

  it("runs as a non-root user, with a node health check on /healthz and the entrypoint that picks the service", () => {
    const runtime = instructions.slice(instructions.findIndex((l) => / AS runtime$/.test(l)));
    const user = runtime.find((l) => l.startsWith("USER "));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)$/);
    expect(runtime.find((l) => l.startsWith("HEALTHCHECK"))).toMatch(
      /CMD \["node", "\/app\/healthcheck\.mjs", "\/healthz"\]$/,
    );
    expect(runtime).toContain('ENTRYPOINT ["sensorstream"]');
    expect(runtime.some((l) => l.includes("deploy/docker/entrypoint.sh /usr/local/bin/sensorstream"))).toBe(true);
  });

  it("builds every service the image runs: each is a project reference of the root tsconfig.json (npm run build)", () => {
    const refs = (JSON.parse(readText("tsconfig.json")) as { references?: { path: string }[] }).references ?? [];
    const paths = new Set(refs.map((r) => r.path.replace(/^\.\//, "")));
    for (const svc of [...deployableServices(), ...TOOLS]) expect(paths.has(`services/${svc}`), svc).toBe(true);
  });

  it("has a build context with the sources the build needs and without what it rebuilds", () => {
    const ignore = readText(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    expect(ignore).toEqual(expect.arrayContaining(["**/node_modules", "**/dist", ".git"]));
    // tsc -b builds every project in tsconfig.json (test/ included) and npm ci needs every workspace.
    for (const needed of [
      "libs",
      "services",
      "test",
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "deploy/docker",
    ]) {
      expect(ignore, needed).not.toContain(needed);
    }
  });
});

describe("deploy/docker/entrypoint.sh", () => {
  let root: string;
  const entrypoint = at("deploy/docker/entrypoint.sh");
  const services = [...deployableServices(), ...TOOLS];

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "sensorstream-image-"));
    for (const svc of services) {
      mkdirSync(join(root, "services", svc, "dist"), { recursive: true });
      writeFileSync(
        join(root, "services", svc, "dist", "main.js"),
        `console.log(JSON.stringify({ service: ${JSON.stringify(svc)}, args: process.argv.slice(2) }));\n`,
      );
    }
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it.each(services)("runs %s's main with node, passing the arguments on", async (svc) => {
    const r = await exitOf("sh", [entrypoint, svc, "--flag", "two words"], { SENSORSTREAM_APP_ROOT: root });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toStrictEqual({ service: svc, args: ["--flag", "two words"] });
  });

  it("lists the services in the image for help (the default command)", async () => {
    const r = await exitOf("sh", [entrypoint], { SENSORSTREAM_APP_ROOT: root });
    expect(r.code).toBe(0);
    for (const svc of services) expect(r.stdout).toContain(`  ${svc}\n`);
  });

  it("runs any other command as given (node ..., sh)", async () => {
    const main = join(root, "services", "gateway", "dist", "main.js");
    const r = await exitOf("sh", [entrypoint, "node", main, "x"], { SENSORSTREAM_APP_ROOT: root });
    expect(JSON.parse(r.stdout)).toStrictEqual({ service: "gateway", args: ["x"] });
  });

  it("runs the migrate command (the init container's) with its arguments", async () => {
    writeFileSync(
      join(root, "migrate.mjs"),
      'console.log(JSON.stringify({ command: "migrate", args: process.argv.slice(2) }));\n',
    );
    const r = await exitOf("sh", [entrypoint, "migrate", "--grants", "/app/grants.sql"], {
      SENSORSTREAM_APP_ROOT: root,
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toStrictEqual({ command: "migrate", args: ["--grants", "/app/grants.sql"] });
  });

  it("refuses an unknown service with a usage error", async () => {
    const r = await exitOf("sh", [entrypoint, "no-such-service"], { SENSORSTREAM_APP_ROOT: root });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/unknown service or command 'no-such-service'/);
  });
});

describe("deploy/docker/healthcheck.mjs", () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === "/healthz" ? 200 : req.url === "/readyz" ? 503 : 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const check = (path: string, httpPort: number) =>
    exitOf(process.execPath, [at("deploy/docker/healthcheck.mjs"), path], { HTTP_PORT: String(httpPort) });

  it("exits 0 when the endpoint answers 2xx", async () => {
    expect((await check("/healthz", port)).code).toBe(0);
  });

  it("exits 1 when it answers otherwise", async () => {
    const r = await check("/readyz", port);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HTTP 503/);
  });

  it("exits 1 when nothing listens", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const free = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect((await check("/healthz", free)).code).toBe(1);
  });
});
