-- On TimescaleDB: hypertables with one-day chunks, compressed once older than the replay window.
SELECT create_hypertable('measurements', 'time', chunk_time_interval => INTERVAL '1 day',
                         migrate_data => true, if_not_exists => true);
SELECT create_hypertable('positions', 'time', chunk_time_interval => INTERVAL '1 day',
                         migrate_data => true, if_not_exists => true);
ALTER TABLE measurements SET (timescaledb.compress,
                              timescaledb.compress_segmentby = 'sensor_id, metric',
                              timescaledb.compress_orderby = 'time DESC');
ALTER TABLE positions SET (timescaledb.compress,
                           timescaledb.compress_segmentby = 'sensor_id',
                           timescaledb.compress_orderby = 'time DESC');
SELECT add_compression_policy('measurements', INTERVAL '7 days', if_not_exists => true);
SELECT add_compression_policy('positions', INTERVAL '7 days', if_not_exists => true);
