-- One-hour rollups of readings per (sensor, metric), beside the one-minute ones (0004): what month-long charts
-- read. Same columns, so the API recombines either the same way; real-time (buckets not yet materialized are
-- computed from the raw rows at query time), so a rollup answers exactly what the raw table would.
CREATE MATERIALIZED VIEW IF NOT EXISTS measurements_1h
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', time) AS bucket,
       sensor_id,
       metric,
       min(value)          AS min,
       max(value)          AS max,
       avg(value)          AS avg,
       count(*)            AS count
  FROM measurements
 GROUP BY bucket, sensor_id, metric
WITH NO DATA;

-- The refresh window reaches back beyond the one-minute view's (late readings within the replay window land in
-- hour buckets that were materialized already). The schedule is kept in step with AGGREGATE_REFRESH_SECONDS at startup.
SELECT add_continuous_aggregate_policy('measurements_1h',
  start_offset      => INTERVAL '7 days',
  end_offset        => INTERVAL '1 hour',
  schedule_interval => INTERVAL '5 minutes',
  if_not_exists     => true);
