import type { ClientBase } from "pg";

/** NOTIFY channels: a queue got messages (payload: the queue's name), and queues or bindings changed. */
export const WAKEUP_CHANNEL = "sensorstream_bus_wakeup";
export const TOPOLOGY_CHANNEL = "sensorstream_bus_topology";

/**
 * A session identifies one bus connection for as long as its PostgreSQL backend lives: the backend's pid and start
 * time (a pid alone can be reused). Messages a consumer holds are locked by its session; the sweeper returns those of
 * sessions that are gone, as RabbitMQ returns a dead channel's unacked deliveries.
 */
export const SESSION_OF = "pid::text || ':' || (extract(epoch from backend_start) * 1000000)::bigint::text";

/**
 * The embedded bus's tables. Kept in the bus lib (not a libs/db migration): the bus owns them, and they are created
 * on first use by whichever process comes first (under an advisory lock, so concurrent starts do not race).
 */
const DDL = `
CREATE SCHEMA IF NOT EXISTS bus;
CREATE TABLE IF NOT EXISTS bus.queues (
  name text PRIMARY KEY,
  max_length bigint NOT NULL,
  overflow text NOT NULL CHECK (overflow IN ('reject-publish', 'drop-head')),
  delivery_limit integer,
  dead_letter_exchange text,
  -- a transient queue's session: the queue goes with it
  owner text
);
CREATE TABLE IF NOT EXISTS bus.bindings (
  exchange text NOT NULL,
  queue text NOT NULL REFERENCES bus.queues (name) ON DELETE CASCADE,
  pattern text NOT NULL,
  PRIMARY KEY (exchange, queue, pattern)
);
CREATE TABLE IF NOT EXISTS bus.messages (
  id bigserial PRIMARY KEY,
  queue text NOT NULL REFERENCES bus.queues (name) ON DELETE CASCADE,
  exchange text NOT NULL,
  routing_key text NOT NULL,
  message_id text,
  headers jsonb NOT NULL,
  content bytea NOT NULL,
  -- times it came back unacked (RabbitMQ's x-delivery-count)
  returned integer NOT NULL DEFAULT 0,
  -- the session and consumer holding it, unacked; NULL = ready
  locked_by text,
  consumer text
);
CREATE INDEX IF NOT EXISTS messages_ready ON bus.messages (queue, id) WHERE locked_by IS NULL;
CREATE TABLE IF NOT EXISTS bus.logs (
  name text PRIMARY KEY,
  max_age_seconds integer NOT NULL,
  max_bytes bigint NOT NULL,
  -- the offset the next entry gets; locked by an append, so entries commit in offset order
  next_offset bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS bus.log_bindings (
  exchange text NOT NULL,
  log text NOT NULL REFERENCES bus.logs (name) ON DELETE CASCADE,
  pattern text NOT NULL,
  PRIMARY KEY (exchange, log, pattern)
);
CREATE TABLE IF NOT EXISTS bus.log_entries (
  log text NOT NULL REFERENCES bus.logs (name) ON DELETE CASCADE,
  "offset" bigint NOT NULL,
  appended_at timestamptz NOT NULL DEFAULT now(),
  routing_key text NOT NULL,
  message_id text,
  headers jsonb NOT NULL,
  content bytea NOT NULL,
  PRIMARY KEY (log, "offset")
);
CREATE INDEX IF NOT EXISTS messages_locked ON bus.messages (locked_by, consumer) WHERE locked_by IS NOT NULL;
`;

/** Creates the schema if it is missing (idempotent, serialized across processes). */
export async function ensureBusSchema(client: ClientBase): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('sensorstream_bus_schema'))");
    await client.query(DDL);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}
