import { ensureDatabase } from "@sensorstream/db";
import amqp from "amqplib";

/** Connects to PostgreSQL and creates the database if it is missing; rejects while PostgreSQL cannot be reached. */
export const probePostgres = (url: string): Promise<"created" | "exists"> => ensureDatabase(url);

/** A wrong password or role (SQLSTATE class 28): retrying cannot help. */
export const postgresRefusedUs = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^28[0-9A-Z]{3}$/.test(code);
};

/** Opens and closes one AMQP connection; rejects while RabbitMQ cannot be reached or is still booting. */
export async function probeRabbitMq(url: string): Promise<void> {
  const conn = await amqp.connect(url, { timeout: 5_000 });
  await conn.close();
}

/** Refused credentials (403 ACCESS-REFUSED) or a missing vhost (530 NOT-ALLOWED): retrying cannot help. */
export const rabbitMqRefusedUs = (err: unknown): boolean =>
  err instanceof Error && /\b(403|530)\b.*(ACCESS.REFUSED|NOT.ALLOWED)/.test(err.message);
