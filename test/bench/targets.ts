/** The two things the bench measures: the platform (npm start's entry point) and the naive bridge, each fresh. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { migrate } from "@sensorstream/db";
import { silentLogger } from "@sensorstream/runtime";
import pg from "pg";
import { createTestVhost } from "../fixtures/amqp.js";
import { createTestDatabase } from "../fixtures/pg.js";
import { spawnPlatform } from "./platform-process.js";
import type { Target } from "./scenario.js";

const NAIVE = fileURLToPath(new URL("./naive-bridge.js", import.meta.url));

/** The platform on a database and vhost of its own; `env` adds to (or overrides) its environment. */
export async function freshPlatform(
  name: string,
  o: { env?: Record<string, string>; nodeArgs?: readonly string[] } = {},
): Promise<Target> {
  const db = await createTestDatabase(`bench_${name}`);
  const vhost = await createTestVhost(`bench_${name}`);
  const p = await spawnPlatform({ DATABASE_URL: db.url, AMQP_URL: vhost.url, ...o.env }, undefined, o.nodeArgs);
  return {
    mqttUrl: p.mqttUrl,
    databaseUrl: db.url,
    metricsUrl: p.metricsUrl,
    pid: p.child.pid,
    async stop() {
      await p.stop();
      await vhost.drop();
      await db.drop();
    },
  };
}

/** The naive bridge (naive-bridge.ts) as its own process, on a freshly migrated database of its own. */
export async function freshNaiveBridge(name: string): Promise<Target> {
  const db = await createTestDatabase(`bench_naive_${name}`);
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  await migrate(pool, { logger: silentLogger(), timescale: "off" });
  await pool.end();
  const child = spawn(process.execPath, [NAIVE], {
    env: { ...process.env, DATABASE_URL: db.url },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // A bench stopped half-way (Ctrl-C) leaves no bridge behind.
  const orphan = () => child.kill("SIGKILL");
  process.once("exit", orphan);
  child.once("exit", () => process.off("exit", orphan));
  const ports = await new Promise<{ mqtt: number; http: number }>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /naive-bridge mqtt=(\d+) http=(\d+)/.exec(out);
      if (m) resolve({ mqtt: Number(m[1]), http: Number(m[2]) });
    });
    child.once("exit", (code) => reject(new Error(`naive bridge exited with ${code}: ${out}`)));
  });
  return {
    mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`,
    databaseUrl: db.url,
    metricsUrl: `http://127.0.0.1:${ports.http}/metrics`,
    pid: child.pid,
    async stop() {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      });
      await db.drop();
    },
  };
}
