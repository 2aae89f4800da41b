-- The sensor registry (owned by the registry service; the gateway reads credentials from it).
CREATE TABLE IF NOT EXISTS sensors (
  id                 text PRIMARY KEY,
  type               text,
  model              text,
  firmware           text,
  metadata           jsonb       NOT NULL DEFAULT '{}'::jsonb,
  -- SHA-256 (hex) of the sensor's MQTT password; tokens are 256-bit random, so a fast hash is enough.
  token_hash         text,
  registered_by      text        NOT NULL DEFAULT 'api' CHECK (registered_by IN ('api', 'auto')),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  last_seen          timestamptz,
  reported_mode      text        CHECK (reported_mode IN ('awake', 'asleep')),
  reported_sample_hz double precision,
  desired_mode       text        CHECK (desired_mode IN ('awake', 'asleep')),
  desired_sample_hz  double precision,
  last_lat           double precision,
  last_lon           double precision,
  last_position_at   timestamptz,
  connection         text        NOT NULL DEFAULT 'unknown' CHECK (connection IN ('unknown', 'connected', 'disconnected')),
  presence           text        NOT NULL DEFAULT 'offline' CHECK (presence IN ('online', 'offline', 'asleep', 'silent')),
  presence_since     timestamptz NOT NULL DEFAULT now(),
  -- receive time of the last status/connection event applied: older events arriving late are ignored
  status_at          timestamptz
);
CREATE INDEX IF NOT EXISTS sensors_presence_idx ON sensors (presence);
CREATE INDEX IF NOT EXISTS sensors_type_idx ON sensors (type);

CREATE TABLE IF NOT EXISTS sensor_presence_history (
  sensor_id text        NOT NULL REFERENCES sensors (id) ON DELETE CASCADE,
  time      timestamptz NOT NULL,
  state     text        NOT NULL,
  previous  text,
  reason    text        NOT NULL
);
CREATE INDEX IF NOT EXISTS sensor_presence_history_idx ON sensor_presence_history (sensor_id, time DESC);

-- Read-only MQTT credentials (dashboards, alert subscribers): which topic filters each may subscribe to.
CREATE TABLE IF NOT EXISTS mqtt_subscribers (
  name       text PRIMARY KEY,
  token_hash text        NOT NULL,
  topics     text[]      NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
