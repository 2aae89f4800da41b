import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { type PlatformProcess, spawnPlatform } from "../bench/platform-process.js";
import { createTestDatabase, type TestDatabase } from "../fixtures/pg.js";
import { waitFor } from "../fixtures/wait.js";
import { publishLoop } from "./publisher.js";

/** The built entry point of npm start (npm test builds first). */
const MAIN = fileURLToPath(new URL("../../services/all-in-one/dist/main.js", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * npm start on the embedded bus (AMQP_URL names the PostgreSQL database, as npm start does by itself when nothing
 * answers on 5672) killed with -9 mid-stream and started again: every reading a sensor got a PUBACK for is stored
 * exactly once. The embedded PostgreSQL's own restart after a kill is in embedded-postgres.test.ts.
 */
describe("npm start on the embedded bus survives kill -9", () => {
  let db: TestDatabase | undefined;
  let platform: PlatformProcess | undefined;
  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
  });

  it("stores every PUBACKed reading exactly once after a kill -9 and a restart", async () => {
    db = await createTestDatabase("embedded_kill");
    const env = { DATABASE_URL: db.url, AMQP_URL: db.url };
    platform = await spawnPlatform(env, MAIN);
    const client = await mqtt.connectAsync(platform.mqttUrl, { clientId: "kill-1", reconnectPeriod: 0 });
    client.on("error", () => {});
    const loop = publishLoop(client, "kill-1", 2);
    await waitFor(() => loop.acked >= 300, { timeoutMs: 60_000, message: "300 PUBACKs before the kill" });
    platform.child.kill("SIGKILL");
    const r = await loop.stop(2_000);
    client.end(true);
    await sleep(200);
    // Some were in the bus, unacked by the ingester, when it died: the restarted platform must store them.
    platform = await spawnPlatform(env, MAIN);
    const stored = await waitFor(
      async () => {
        const rows = await db?.query<{ v: number }>(
          "SELECT value AS v FROM measurements WHERE sensor_id = 'kill-1' AND metric = 'v'",
        );
        const values = new Set((rows ?? []).map((x) => x.v));
        return [...r.acked].every((i) => values.has(i)) ? rows : false;
      },
      { timeoutMs: 60_000, message: "not every PUBACKed reading was stored after the restart" },
    );
    const values = (stored ?? []).map((x) => x.v);
    expect(r.acked.size).toBeGreaterThanOrEqual(300);
    expect(new Set(values).size, "no duplicates").toBe(values.length);
    // Nothing acknowledged is left in the bus: the measurements queue drains to empty.
    await waitFor(
      async () => {
        const q = await db?.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM bus.messages WHERE queue = 'measurements'",
        );
        return q?.[0]?.n === 0;
      },
      { timeoutMs: 30_000, message: "the measurements queue did not drain" },
    );
  });
});
