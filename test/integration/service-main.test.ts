/**
 * A service's main.ts is runService(description): config from the environment (every problem
 * listed, exit 2), HTTP with /metrics /healthz /readyz, a drain on SIGTERM that exits 0.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../fixtures/pg.js";
import { waitFor } from "../fixtures/wait.js";
import { at, deployableServices } from "./deploy-support.js";

type Run = { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> };

function run(service: string, env: Record<string, string>): Run {
  const child = spawn(process.execPath, [at("services", service, "dist", "main.js")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

describe("a service's main.ts", () => {
  const children: ChildProcess[] = [];
  let db: TestDatabase | undefined;
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
    await db?.drop();
    db = undefined;
  });

  it.each(deployableServices())("%s lists every configuration problem and exits 2", async (service) => {
    const r = run(service, { HTTP_PORT: "http", LOG_LEVEL: "chatty", API_TOKEN: "short" });
    children.push(r.child);
    expect(await r.exited).toBe(2);
    expect(r.err()).toMatch(new RegExp(`^${service}: invalid configuration:`));
    expect(r.err()).toMatch(/HTTP_PORT: .*\(got "http"\)/);
    expect(r.err()).toMatch(/LOG_LEVEL: .*\(got "chatty"\)/);
  });

  it("api: serves its routes on the process's HTTP server, logs as api, and drains on SIGTERM with exit 0", async () => {
    db = await createTestDatabase("main_api");
    const r = run("api", {
      DATABASE_URL: db.url,
      HTTP_HOST: "127.0.0.1",
      HTTP_PORT: "0",
      API_TOKEN: "a-token-of-sixteen-chars",
      LOG_LEVEL: "info",
    });
    children.push(r.child);
    const port = await waitFor(() => /"http_port":(\d+)/.exec(r.out())?.[1], {
      timeoutMs: 20_000,
      message: () => `no HTTP port logged:\n${r.out()}\n${r.err()}`,
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, { message: "never ready" });
    const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain("/api/sensors");
    expect(await (await fetch(`${base}/metrics`)).text()).toContain("process_cpu_seconds_total");
    r.child.kill("SIGTERM");
    expect(await r.exited, `api did not drain cleanly:\n${r.out()}\n${r.err()}`).toBe(0);
    const lines = r
      .out()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { service?: string; version?: string; msg?: string });
    expect(new Set(lines.map((l) => l.service))).toStrictEqual(new Set(["api"]));
    expect(lines.every((l) => typeof l.version === "string")).toBe(true);
    expect(lines.map((l) => l.msg)).toContain("stopped");
  });
});
