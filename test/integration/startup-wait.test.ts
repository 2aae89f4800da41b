/**
 * npm start on a slow PostgreSQL or RabbitMQ (one still booting): it waits with backoff and says so,
 * instead of giving up. The TCP proxy refuses connections until the test lets them through.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { probePostgres, probeRabbitMq, waitUntilReachable } from "@sensorstream/all-in-one";
import { afterEach, describe, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { testEnv } from "../fixtures/env.js";
import { createTestDatabase, type TestDatabase } from "../fixtures/pg.js";
import { itRabbitMq } from "../fixtures/rabbitmq-only.js";
import { startTcpProxy, type TcpProxy } from "../fixtures/tcp-proxy.js";
import { waitFor } from "../fixtures/wait.js";

const MAIN = fileURLToPath(new URL("../../services/all-in-one/dist/main.js", import.meta.url));
const proxyTo = (url: string) => {
  const u = new URL(url);
  return startTcpProxy({ host: u.hostname, port: Number(u.port || (u.protocol.startsWith("amqp") ? 5672 : 5432)) });
};

describe("npm start waits for a slow server", () => {
  let db: TestDatabase | undefined;
  let vhost: TestVhost | undefined;
  let proxy: TcpProxy | undefined;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await proxy?.close();
    await vhost?.drop();
    await db?.drop();
    [db, vhost, proxy, child] = [undefined, undefined, undefined, undefined];
  });

  const keepsTrying = async (what: "PostgreSQL" | "RabbitMQ") => {
    db = await createTestDatabase("wait");
    vhost = await createTestVhost("wait");
    const target = what === "PostgreSQL" ? db.url : vhost.url;
    const p = await proxyTo(target);
    proxy = p;
    p.cut();
    const lines: string[] = [];
    const result = waitUntilReachable<unknown>({
      what,
      where: "the proxy",
      attempt: () => (what === "PostgreSQL" ? probePostgres(p.url(target)) : probeRabbitMq(p.url(target))),
      limitMs: 60_000,
      progressEveryMs: 200,
      say: (l) => lines.push(l),
    });
    await waitFor(() => lines.length >= 2, { message: "no progress line while refused" });
    p.restore();
    const r = await result;
    expect(r.ok).toBe(true);
    if (what === "PostgreSQL") expect(r).toStrictEqual({ ok: true, value: "exists" });
    expect(lines[0]).toMatch(new RegExp(`^waiting for ${what} at the proxy \\(\\d+ s\\): \\S`));
  };

  it("keeps trying PostgreSQL while it refuses, and goes on once it answers", () => keepsTrying("PostgreSQL"));
  itRabbitMq("keeps trying RabbitMQ while it refuses, and goes on once it answers", () => keepsTrying("RabbitMQ"));

  it("gives up on a server that keeps refusing, with the last error", async () => {
    const p = await proxyTo(testEnv().databaseUrl);
    proxy = p;
    p.cut();
    const r = await waitUntilReachable({
      what: "PostgreSQL",
      where: "the proxy",
      attempt: () => probePostgres(p.url(`${testEnv().databaseUrl.replace(/\/[^/]*$/, "")}/never_created`)),
      limitMs: 1_000,
      say: () => {},
    });
    expect(r.ok).toBe(false);
  });

  it("npm start: waits for PostgreSQL with a progress line, then runs the demo and exits 0 on Ctrl-C", async () => {
    db = await createTestDatabase("wait_main");
    vhost = await createTestVhost("wait_main");
    const p = await proxyTo(db.url);
    proxy = p;
    p.cut();
    const c = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        DATABASE_URL: p.url(db.url),
        AMQP_URL: vhost.url,
        MQTT_HOST: "127.0.0.1",
        HTTP_HOST: "127.0.0.1",
        MQTT_PORT: "0",
        MQTT_WS_PORT: "0",
        HTTP_PORT: "0",
        DEMO: "true",
        SUMMARY_INTERVAL_S: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = c;
    let out = "";
    let err = "";
    c.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    c.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => c.once("exit", (code) => resolve(code)));
    await waitFor(() => err.includes("waiting for PostgreSQL at postgresql://"), {
      timeoutMs: 30_000,
      message: () => `no progress line:\n${out}\n${err}`,
    });
    expect(out).not.toContain("is running");
    p.restore();
    await waitFor(() => /readings\/s stored .* [1-9]\d* total/.test(out), {
      timeoutMs: 45_000,
      message: () => `no summary line with stored readings:\n${out}\n${err}`,
    });
    expect(out).toMatch(/^sensorstream \S+ is running$/m);
    expect(out).toMatch(/^ {2}demo fleet 5 simulated sensors at 2 Hz/m);
    c.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopped\.\n$/);
  });
});
