/**
 * Every message the platform publishes on the bus carries the version of its contract in the AMQP header
 * `x-schema-version`. A header, not a body field: the body of a command or an alert is what a device receives over
 * MQTT, and the device contract must not change because the bus versions its messages. RabbitMQ keeps headers when it
 * dead-letters, and the pipeline copies the header onto the dead letters it publishes, so the version is visible there.
 *
 * A message without the header is version 1: it was queued by a release that did not stamp versions yet.
 */
export const SCHEMA_VERSION_HEADER = "x-schema-version";

/** The version every platform contract is at today. A contract that changes incompatibly gets its own next number. */
export const CURRENT_SCHEMA_VERSION = 1;

export type SchemaVersionResult = { ok: true; version: number } | { ok: false; error: string };

/** Reads a message's schema version and checks that the consumer accepts it. Never throws. */
export function checkSchemaVersion(
  headers: Readonly<Record<string, unknown>>,
  accepted: readonly number[] = [CURRENT_SCHEMA_VERSION],
): SchemaVersionResult {
  const raw = headers[SCHEMA_VERSION_HEADER];
  // AMQP tables carry numbers as typed values; amqplib decodes them to numbers, some clients send strings.
  const version = raw === undefined ? 1 : typeof raw === "string" && /^\d{1,9}$/.test(raw) ? Number(raw) : raw;
  if (typeof version !== "number" || !Number.isInteger(version)) {
    return { ok: false, error: `${SCHEMA_VERSION_HEADER} ${JSON.stringify(raw)} is not an integer version` };
  }
  if (!accepted.includes(version)) {
    return { ok: false, error: `schema version ${version} is not supported (accepted: ${accepted.join(", ")})` };
  }
  return { ok: true, version };
}
