-- Commands to sensors and their lifecycle (owned by the command service; the API inserts new commands through
-- libs/commands, the command service's own module). No foreign key to sensors: a sensor's deletion must not
-- write this table from the registry's side, and a deleted sensor's pending commands simply expire.
CREATE TABLE IF NOT EXISTS commands (
  command_id  uuid        PRIMARY KEY,
  sensor_id   text        NOT NULL,
  name        text        NOT NULL CHECK (name IN ('sleep', 'awake', 'change_sample_frequency')),
  args        jsonb       NOT NULL DEFAULT '{}'::jsonb,
  state       text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'acked', 'failed', 'expired')),
  issued_at   timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  sent_at     timestamptz,
  -- when it was last published to the gateways (by the API on issue, by the command service on a resend)
  published_at timestamptz NOT NULL,
  -- when the final state was reached (acked, failed or expired)
  settled_at  timestamptz,
  error       text,
  -- issue order: issued_at has millisecond resolution (the API's clock), and a sleep issued in the same millisecond as
  -- a later awake must still reach the sensor before it
  seq         bigint      GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX IF NOT EXISTS commands_sensor_idx ON commands (sensor_id, issued_at DESC);
-- the commands still to deliver or to hear about: resends on presence and the expiry sweep read only these
CREATE INDEX IF NOT EXISTS commands_open_idx ON commands (sensor_id, issued_at) WHERE state IN ('queued', 'sent');
