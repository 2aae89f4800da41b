-- What sensors logged. A replayed message never duplicates a line: a line is identified by
-- (sensor, time, level, message text); two identical lines in the same microsecond are one.
CREATE TABLE IF NOT EXISTS sensor_logs (
  time      timestamptz NOT NULL,
  sensor_id text        NOT NULL,
  level     text        NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  msg       text        NOT NULL,
  fields    jsonb       NOT NULL DEFAULT '{}'::jsonb,
  msg_hash  text        NOT NULL,
  PRIMARY KEY (sensor_id, time, level, msg_hash)
);
CREATE INDEX IF NOT EXISTS sensor_logs_time_idx ON sensor_logs (time DESC);
