import { isEmbeddedBusUrl, redact } from "@sensorstream/bus";
import { firstFreePort } from "@sensorstream/runtime";
import { type AllInOneConfig, EMBEDDED_DIR_DEFAULT } from "../config.js";
import { chooseSource, type Source } from "./decide.js";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./postgres.js";
import { answers } from "./probe-port.js";

export type Backends = {
  DATABASE_URL: string;
  AMQP_URL: string;
  database: Source;
  bus: Source;
  embedded: EmbeddedPostgres | undefined;
  /** The banner's lines about them: what is used and how to switch. */
  lines: string[];
};

/**
 * Decides where the database and the bus come from (see chooseSource) and starts the embedded PostgreSQL when it is
 * needed: by the database, or by the embedded bus when no database URL was set either.
 */
export async function resolveBackends(
  config: Pick<AllInOneConfig, "DATABASE_URL" | "AMQP_URL" | "EMBEDDED_DIR" | "EMBEDDED_POSTGRES_PORT">,
  set: { database: boolean; bus: boolean },
): Promise<Backends> {
  const database = chooseSource(set.database, !set.database && (await answers(5432)));
  const bus = isEmbeddedBusUrl(config.AMQP_URL) ? "embedded" : chooseSource(set.bus, !set.bus && (await answers(5672)));
  let embedded: EmbeddedPostgres | undefined;
  let DATABASE_URL = config.DATABASE_URL;
  if (database === "embedded") {
    const port = await firstFreePort(config.EMBEDDED_POSTGRES_PORT, "127.0.0.1");
    // As root in a checkout the postgres user cannot enter (under /root, a mktemp -d clone), the default directory
    // moves to the system's place for a service's data; a directory set on purpose is used as set (or refused).
    const fallbackDir = config.EMBEDDED_DIR === EMBEDDED_DIR_DEFAULT ? "/var/lib/sensorstream" : undefined;
    embedded = await startEmbeddedPostgres({ dir: config.EMBEDDED_DIR, port, ...(fallbackDir ? { fallbackDir } : {}) });
    DATABASE_URL = embedded.url;
  }
  const AMQP_URL = bus === "embedded" && !isEmbeddedBusUrl(config.AMQP_URL) ? DATABASE_URL : config.AMQP_URL;
  const lines = [
    embedded
      ? `  database   embedded PostgreSQL ${embedded.version} in ${embedded.dataDir} — set DATABASE_URL to use your own`
      : `  database   ${database === "env" ? "PostgreSQL from DATABASE_URL" : "the local PostgreSQL"}`,
    `             ${embedded ? DATABASE_URL : redact(DATABASE_URL)}`,
    bus === "embedded"
      ? "  bus        embedded, in that PostgreSQL (schema bus) — set AMQP_URL for RabbitMQ"
      : `  bus        RabbitMQ ${redact(AMQP_URL)}${bus === "env" ? " (AMQP_URL)" : ""}`,
  ];
  return { DATABASE_URL, AMQP_URL, database, bus, embedded, lines };
}
