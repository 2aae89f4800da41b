SELECT create_hypertable('sensor_logs', 'time', chunk_time_interval => INTERVAL '1 day',
                         migrate_data => true, if_not_exists => true);
ALTER TABLE sensor_logs SET (timescaledb.compress,
                             timescaledb.compress_segmentby = 'sensor_id',
                             timescaledb.compress_orderby = 'time DESC');
SELECT add_compression_policy('sensor_logs', INTERVAL '7 days', if_not_exists => true);
