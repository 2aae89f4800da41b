-- Readings: one row per (sensor, metric, time). The primary key makes replays idempotent:
-- writers insert with ON CONFLICT DO NOTHING, so the first stored value for a key wins.
CREATE TABLE IF NOT EXISTS measurements (
  time      timestamptz      NOT NULL,
  sensor_id text             NOT NULL,
  metric    text             NOT NULL,
  value     double precision NOT NULL,
  PRIMARY KEY (sensor_id, metric, time)
);
CREATE INDEX IF NOT EXISTS measurements_time_idx ON measurements (time DESC);

-- Where a sensor was, when a reading carried lat/lon (WGS84); a track is these rows in time order.
CREATE TABLE IF NOT EXISTS positions (
  time      timestamptz      NOT NULL,
  sensor_id text             NOT NULL,
  lat       double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lon       double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  PRIMARY KEY (sensor_id, time)
);
CREATE INDEX IF NOT EXISTS positions_time_idx ON positions (time DESC);
