-- One-minute rollups of readings per (sensor, metric), for dashboards and long ranges. Real-time:
-- buckets not yet materialized are computed from the raw rows at query time. A rollup outlives the
-- raw rows it came from (the refresh window is the last day, so a retention drop does not erase it).
-- Plain PostgreSQL has no such view: queries bucket the raw table with date_bin instead.
CREATE MATERIALIZED VIEW IF NOT EXISTS measurements_1m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 minute', time) AS bucket,
       sensor_id,
       metric,
       min(value)          AS min,
       max(value)          AS max,
       avg(value)          AS avg,
       count(*)            AS count
  FROM measurements
 GROUP BY bucket, sensor_id, metric
WITH NO DATA;

SELECT add_continuous_aggregate_policy('measurements_1m',
  start_offset      => INTERVAL '1 day',
  end_offset        => INTERVAL '1 minute',
  schedule_interval => INTERVAL '1 minute',
  if_not_exists     => true);
