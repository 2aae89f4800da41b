-- The newest value of every series (sensor, metric), so "latest" questions (one sensor, or the whole fleet) read one
-- row per series instead of probing the measurements table series by series. Written by the measurement ingester in
-- the same transaction as the readings (an upsert that keeps the newer time, so replays and out-of-order batches never
-- move it backwards); purged with the sensor's readings. Plain table on both PostgreSQL and TimescaleDB.
CREATE TABLE IF NOT EXISTS measurements_latest (
  sensor_id text             NOT NULL,
  metric    text             NOT NULL,
  time      timestamptz      NOT NULL,
  value     double precision NOT NULL,
  PRIMARY KEY (sensor_id, metric)
);
-- fleet-wide "who reported recently" walks sensors by activity
CREATE INDEX IF NOT EXISTS measurements_latest_time_idx ON measurements_latest (time DESC);

-- Backfill from what is stored already (once; later writes keep it current).
INSERT INTO measurements_latest (sensor_id, metric, time, value)
SELECT DISTINCT ON (sensor_id, metric) sensor_id, metric, time, value
  FROM measurements
 ORDER BY sensor_id, metric, time DESC
ON CONFLICT (sensor_id, metric) DO NOTHING;
