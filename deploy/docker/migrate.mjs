// `sensorstream migrate [--grants <file>]`: applies the schema migrations as the role in
// DATABASE_URL (in Kubernetes, the migration role), waiting for the database as the services do;
// then, with --grants, runs that SQL file in one transaction (deploy/postgres/grants.sql: each table
// to its owning service's role, the others' grants). Every service pod runs it as an init container,
// so a new image's migrations are in place before its code starts, and the services themselves
// log in with roles that cannot change the schema. Exits 0 when done, 1 when a migration is broken.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createPool, migrateWhenReachable } from "@sensorstream/db";
import { createLogger } from "@sensorstream/runtime";

/** Concurrent GRANTs on one table fail ("tuple concurrently updated"): pods starting together take turns. */
const GRANTS_LOCK_KEY = 7_340_512_332;

const { values } = parseArgs({ options: { grants: { type: "string" } } });
/** Read here, not through a config schema: this is a deployment step, not a service. */
const env = process.env;
const url = env.DATABASE_URL;
if (!url) {
  console.error("sensorstream migrate: DATABASE_URL is not set");
  process.exit(64);
}
const timescale = env.TIMESCALEDB ?? "auto";
const logger = createLogger({ service: "migrate", version: "0.1.0", level: env.LOG_LEVEL ?? "info" });
const pool = createPool({ url, logger, max: 1, applicationName: "migrate" });

try {
  await migrateWhenReachable(pool, timescale, logger);
  if (values.grants) {
    const sql = await readFile(values.grants, "utf8");
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [GRANTS_LOCK_KEY]);
      await client.query(sql);
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    logger.info({ file: values.grants }, "grants applied");
  }
  await pool.end();
} catch (err) {
  logger.error({ err }, "migrate failed");
  process.exitCode = 1;
  await pool.end().catch(() => {});
}
