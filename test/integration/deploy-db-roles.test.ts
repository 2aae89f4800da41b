/**
 * The least-privilege database roles on a real PostgreSQL (a scratch database of the test server):
 * deploy/postgres/roles.sql run with psql as the superuser, as the db-roles Job does, then
 * `sensorstream migrate --grants` (deploy/docker/migrate.mjs) as the migration role, as every service
 * pod's init container does; then each service's role is tried on each table. Role names get a
 * unique prefix here (roles are server-wide, the server is shared). Not proved here: TimescaleDB's
 * handling of ALTER ... OWNER on hypertables (the test server is plain PostgreSQL).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { migrate } from "@sensorstream/db";
import { silentLogger } from "@sensorstream/runtime";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, testPool } from "../fixtures/pg.js";
import { at, readText } from "./deploy-support.js";

const run = promisify(execFile);

/** ARCHITECTURE.md "Ownership": the tables each service owns (writes). */
const OWNERS: Record<string, string[]> = {
  registry: ["sensors", "sensor_presence_history", "mqtt_subscribers"],
  measurement_ingester: ["measurements", "positions", "measurements_latest"],
  log_ingester: ["sensor_logs"],
  command: ["commands"],
  alarm: ["alarm_rules", "alarms", "alarm_state", "alarm_sensors_seen", "alarm_outbox"],
};
const SERVICES = ["gateway", "registry", "command", "alarm", "measurement_ingester", "log_ingester", "api"] as const;

/** What a service other than the owner may write, and why (deploy/postgres/grants.sql). */
const WRITES_BY_OTHERS: Record<string, Record<string, string[]>> = {
  // The registry's admin code runs in the API process. A sensor's data is purged by its owners (sensor_<id>.deleted).
  api: {
    sensors: ["INSERT", "UPDATE", "DELETE"],
    mqtt_subscribers: ["INSERT", "UPDATE", "DELETE"],
    // Commands are issued through libs/commands (the command service's module); their lifecycle is the service's.
    commands: ["INSERT"],
    // Rules and acks go through libs/alarms (the alarm service's module): a rule changed forgets its pending periods,
    // one deleted or disabled clears its open alarms; every change queues its alert in the outbox (the service publishes).
    alarm_rules: ["INSERT", "UPDATE", "DELETE"],
    alarms: ["UPDATE"],
    alarm_state: ["UPDATE", "DELETE"],
    alarm_outbox: ["INSERT"],
  },
};

const prefix = `ss_r${Math.random().toString(36).slice(2, 8)}_`;
const renamed = (sql: string) =>
  sql.replaceAll("sensorstream_", prefix).replaceAll("grafana_reader", `${prefix}grafana_reader`);
const role = (svc: string) => `${prefix}${svc}`;

let db: TestDatabase;
let dir: string;
/** The service's role with the password psqlRoles gave it (a server that checks passwords needs the right one). */
const urlAs = (svc: string) => {
  const u = new URL(db.url);
  u.username = role(svc);
  u.password = `pw-${svc === "grafana_reader" ? "grafana" : svc}`;
  return u.toString();
};

async function psqlRoles(): Promise<void> {
  const vars = [
    "migrator",
    "gateway",
    "registry",
    "command",
    "alarm",
    "measurement_ingester",
    "log_ingester",
    "api",
    "grafana",
  ].flatMap((r) => ["-v", `${r}_password=pw-${r}`]);
  await run("psql", [
    db.url,
    "-q",
    "-v",
    "ON_ERROR_STOP=1",
    "-v",
    `dbname=${db.name}`,
    ...vars,
    "-f",
    join(dir, "roles.sql"),
  ]);
}

async function migrateCommand(): Promise<{ stdout: string; stderr: string }> {
  return run("node", [at("deploy/docker/migrate.mjs"), "--grants", join(dir, "grants.sql")], {
    env: {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: urlAs("migrator"),
      TIMESCALEDB: "auto",
      LOG_LEVEL: "warn",
    },
    timeout: 60_000,
  });
}

async function as<T>(svc: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: urlAs(svc) });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

/** Whether `svc` may run `sql` (inside a transaction rolled back afterwards): true, or the error. */
async function allowed(svc: string, sql: string): Promise<true | string> {
  return as(svc, async (c) => {
    await c.query("BEGIN");
    try {
      await c.query(sql);
      return true as const;
    } catch (err) {
      return (err as Error).message;
    } finally {
      await c.query("ROLLBACK");
    }
  });
}

const probe: Record<string, string> = {
  SELECT: "SELECT * FROM %t LIMIT 1",
  // OVERRIDING SYSTEM VALUE: an identity column (commands.seq) would refuse the copied values before the privilege check.
  INSERT: "INSERT INTO %t OVERRIDING SYSTEM VALUE SELECT * FROM %t WHERE false",
  UPDATE: "UPDATE %t SET sensor_id = sensor_id WHERE false",
  DELETE: "DELETE FROM %t WHERE false",
};
const probeSql = (op: string, table: string) => {
  const sql = (probe[op] ?? "").replaceAll("%t", table);
  return table === "sensors" || table === "mqtt_subscribers" || table === "alarm_rules"
    ? sql.replace(/sensor_id = sensor_id/, "created_at = created_at")
    : sql;
};

describe("database roles on PostgreSQL (roles.sql, then migrate --grants)", () => {
  beforeAll(async () => {
    db = await createTestDatabase("deploy_roles");
    dir = mkdtempSync(join(tmpdir(), "sensorstream-roles-"));
    writeFileSync(join(dir, "roles.sql"), renamed(readText("deploy/postgres/roles.sql")));
    writeFileSync(join(dir, "grants.sql"), renamed(readText("deploy/postgres/grants.sql")));
    // Twice each: the Job runs again after every apply, the init container in every pod.
    await psqlRoles();
    await migrateCommand();
    await psqlRoles();
    await migrateCommand();
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: new URL("/postgres", db.url).toString() });
    await admin.connect();
    try {
      const names = [...SERVICES, "migrator", "grafana_reader"].map(role);
      for (const n of names) await admin.query(`DROP ROLE IF EXISTS "${n}"`);
    } finally {
      await admin.end();
    }
  });

  it("creates login roles with no superuser, role or database creation rights", async () => {
    const rows = await db.query<{
      rolname: string;
      rolsuper: boolean;
      rolcreaterole: boolean;
      rolcreatedb: boolean;
      rolcanlogin: boolean;
    }>(
      "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname LIKE $1 ORDER BY rolname",
      [`${prefix}%`],
    );
    expect(rows.map((r) => r.rolname).sort()).toStrictEqual(
      [...SERVICES, "migrator", "grafana_reader"].map(role).sort(),
    );
    for (const r of rows)
      expect(r, r.rolname).toMatchObject({
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolcanlogin: true,
      });
  });

  it("gives each table to the service that owns it (ARCHITECTURE.md), the rest to the migration role", async () => {
    const rows = await db.query<{ t: string; owner: string }>(
      "SELECT c.relname AS t, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'm', 'v')",
    );
    const owners = Object.fromEntries(rows.map((r) => [r.t, r.owner]));
    for (const [svc, tables] of Object.entries(OWNERS)) for (const t of tables) expect(owners[t], t).toBe(role(svc));
    const owned = new Set(Object.values(OWNERS).flat());
    for (const [t, owner] of Object.entries(owners)) if (!owned.has(t)) expect(owner, t).toBe(role("migrator"));
  });

  it("lets a service write only the tables it owns (and the documented exceptions)", async () => {
    const tables = Object.values(OWNERS).flat();
    for (const svc of SERVICES) {
      for (const t of tables) {
        for (const op of ["INSERT", "UPDATE", "DELETE"]) {
          const expected = (OWNERS[svc] ?? []).includes(t) || (WRITES_BY_OTHERS[svc]?.[t] ?? []).includes(op);
          const got = await allowed(svc, probeSql(op, t));
          if (expected) expect(got, `${svc} ${op} ${t}`).toBe(true);
          else expect(got, `${svc} ${op} ${t}`).toMatch(/permission denied/);
        }
      }
    }
  });

  it("lets the gateway read credentials only, and the API and Grafana read everything", async () => {
    expect(await allowed("gateway", probeSql("SELECT", "sensors"))).toBe(true);
    expect(await allowed("gateway", probeSql("SELECT", "mqtt_subscribers"))).toBe(true);
    expect(await allowed("gateway", probeSql("SELECT", "measurements"))).toMatch(/permission denied/);
    expect(await allowed("measurement_ingester", probeSql("SELECT", "sensors"))).toMatch(/permission denied/);
    for (const t of [...Object.values(OWNERS).flat(), "measurements"]) {
      expect(await allowed("api", probeSql("SELECT", t)), t).toBe(true);
      expect(await allowed("grafana_reader", probeSql("SELECT", t)), t).toBe(true);
      expect(await allowed("grafana_reader", probeSql("DELETE", t)), t).toMatch(/permission denied/);
    }
  });

  it("keeps the schema out of the outward-facing services' reach; only the log ingester keeps a staging table", async () => {
    for (const svc of ["gateway", "api"]) {
      expect(await allowed(svc, "CREATE TABLE evil (x int)"), svc).toMatch(/permission denied/);
      expect(await allowed(svc, "DROP TABLE sensors"), svc).toMatch(/must be owner/);
    }
    expect(await allowed("measurement_ingester", "DROP TABLE sensors")).toMatch(/must be owner/);
    const staging = "CREATE TEMPORARY TABLE staging (x int) ON COMMIT DELETE ROWS";
    expect(await allowed("log_ingester", staging)).toBe(true);
    for (const svc of SERVICES.filter((s) => s !== "log_ingester")) {
      expect(await allowed(svc, staging), svc).toMatch(/permission denied/);
    }
  });

  it("lets every service run its start-up migration check with its own role (nothing left to apply)", async () => {
    for (const svc of SERVICES) {
      const pool = testPool(urlAs(svc), 1);
      try {
        const r = await migrate(pool, { logger: silentLogger(), timescale: "auto" });
        expect(r.applied, svc).toStrictEqual([]);
      } finally {
        await pool.end();
      }
    }
  });

  it("takes over a database whose tables the superuser owns (a cluster that ran before the roles)", async () => {
    const before = db;
    db = await createTestDatabase("deploy_roles_upgrade");
    try {
      const pool = testPool(db.url, 1);
      await migrate(pool, { logger: silentLogger(), timescale: "auto" }).finally(() => pool.end());
      await psqlRoles();
      await migrateCommand();
      const rows = await db.query<{ t: string; owner: string }>(
        "SELECT c.relname AS t, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'",
      );
      const owners = Object.fromEntries(rows.map((r) => [r.t, r.owner]));
      for (const [svc, tables] of Object.entries(OWNERS)) for (const t of tables) expect(owners[t], t).toBe(role(svc));
      expect(owners.schema_migrations).toBe(role("migrator"));
      expect(await allowed("gateway", probeSql("SELECT", "sensors"))).toBe(true);
    } finally {
      await db.drop();
      db = before;
    }
  }, 120_000);
});
