import { isEmbeddedBusUrl, redact } from "@sensorstream/bus";
import type { AllInOneConfig } from "./config.js";
import { postgresRefusedUs, probePostgres, probeRabbitMq, rabbitMqRefusedUs } from "./probe.js";
import { reasonOf, waitUntilReachable } from "./wait.js";

/** Waiting did not help: what is missing and how to start it, then exit 1. */
function giveUp(problem: string, hint: string): never {
  process.stderr.write(`sensorstream: ${problem}\n  ${hint} STARTUP_WAIT_S sets how long to wait.\n`);
  process.exit(1);
}

/**
 * npm start's first step: PostgreSQL (creating the database if missing), then RabbitMQ, each waited
 * for up to STARTUP_WAIT_S with a progress line on stderr, so a server still booting on a laptop is
 * not an error. Returns whether the database was created.
 */
export async function waitForServers(
  config: Pick<AllInOneConfig, "DATABASE_URL" | "AMQP_URL" | "STARTUP_WAIT_S">,
): Promise<"created" | "exists"> {
  const waiting = { limitMs: config.STARTUP_WAIT_S * 1000, say: (line: string) => process.stderr.write(`${line}\n`) };
  const database = await waitUntilReachable({
    what: "PostgreSQL",
    where: redact(config.DATABASE_URL),
    attempt: () => probePostgres(config.DATABASE_URL),
    permanent: postgresRefusedUs,
    ...waiting,
  });
  if (!database.ok) {
    giveUp(
      `PostgreSQL is not reachable at ${redact(config.DATABASE_URL)} (${reasonOf(database.error)}; waited ${database.waitedS} s).`,
      "Start it (e.g. `pg_ctlcluster 15 main start`, or `docker compose up -d timescaledb`) or set DATABASE_URL.",
    );
  }
  // The embedded bus lives in that database: nothing more to wait for.
  if (isEmbeddedBusUrl(config.AMQP_URL)) return database.value;
  const bus = await waitUntilReachable({
    what: "RabbitMQ",
    where: redact(config.AMQP_URL),
    attempt: () => probeRabbitMq(config.AMQP_URL),
    permanent: rabbitMqRefusedUs,
    ...waiting,
  });
  if (!bus.ok) {
    giveUp(
      `RabbitMQ is not reachable at ${redact(config.AMQP_URL)} (${reasonOf(bus.error)}; waited ${bus.waitedS} s).`,
      "Start it (e.g. `rabbitmq-server -detached`, or `docker compose up -d rabbitmq`) or set AMQP_URL.",
    );
  }
  return database.value;
}
