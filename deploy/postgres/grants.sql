-- Who may do what with each table, after the migrations (ARCHITECTURE.md, "Ownership"). Run by the
-- migration role (`sensorstream migrate --grants`) on every start of a service pod; every statement
-- is idempotent. The roles come from deploy/postgres/roles.sql.
--
-- Each service owns the tables it writes (it may then set its own TimescaleDB retention policy):
ALTER TABLE sensors OWNER TO sensorstream_registry;
ALTER TABLE sensor_presence_history OWNER TO sensorstream_registry;
ALTER TABLE mqtt_subscribers OWNER TO sensorstream_registry;
ALTER TABLE commands OWNER TO sensorstream_command;
ALTER TABLE alarm_rules OWNER TO sensorstream_alarm;
ALTER TABLE alarms OWNER TO sensorstream_alarm;
ALTER TABLE alarm_state OWNER TO sensorstream_alarm;
ALTER TABLE alarm_sensors_seen OWNER TO sensorstream_alarm;
ALTER TABLE alarm_outbox OWNER TO sensorstream_alarm;
ALTER TABLE measurements OWNER TO sensorstream_measurement_ingester;
ALTER TABLE positions OWNER TO sensorstream_measurement_ingester;
ALTER TABLE measurements_latest OWNER TO sensorstream_measurement_ingester;
ALTER TABLE sensor_logs OWNER TO sensorstream_log_ingester;
-- schema_migrations and measurements_1m (derived, refreshed by TimescaleDB) stay with the migration role.

-- Every service reads schema_migrations: a service checks at start that nothing is left to migrate.
GRANT SELECT ON schema_migrations
   TO sensorstream_gateway, sensorstream_registry, sensorstream_command, sensorstream_alarm,
      sensorstream_measurement_ingester, sensorstream_log_ingester, sensorstream_api;

-- registry: an ok ack sets the sensor's reported mode or rate from the acked command (read only).
GRANT SELECT ON commands TO sensorstream_registry;

-- command: a sensor back online with a stale mode or rate is told again (desired vs reported, read only).
GRANT SELECT ON sensors TO sensorstream_command;

-- alarm: which sensors are meant to be awake (no-data rules) and their types (rules scoped by type), read only.
GRANT SELECT ON sensors TO sensorstream_alarm;

-- gateway: sensor and subscriber credentials, read only.
GRANT SELECT ON sensors, mqtt_subscribers TO sensorstream_gateway;

-- api: reads everything. It writes sensors and subscribers through the registry's admin code, which
-- runs in the API process (register, update, rotate a token, delete). A sensor's data is never deleted
-- by the API: DELETE /api/sensors/<id>?with_data=true publishes sensor_<id>.deleted and each ingester
-- purges its own tables.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO sensorstream_api;
GRANT INSERT, UPDATE, DELETE ON sensors, mqtt_subscribers TO sensorstream_api;
REVOKE DELETE ON measurements, positions, measurements_latest, sensor_logs FROM sensorstream_api;
-- api: issues commands (INSERT, through libs/commands, the command service's module); their lifecycle is the
-- command service's alone.
GRANT INSERT ON commands TO sensorstream_api;
-- api: manages alarm rules and acknowledges alarms (through libs/alarms, the alarm service's module): a rule changed
-- forgets its pending periods, one deleted or disabled clears its open alarms and forgets their evaluation state; every alarm change queues its alert in the
-- outbox, which the alarm service publishes. Raising and clearing by value are the alarm service's alone.
GRANT INSERT, UPDATE, DELETE ON alarm_rules TO sensorstream_api;
GRANT UPDATE ON alarms TO sensorstream_api;
GRANT UPDATE, DELETE ON alarm_state TO sensorstream_api;
GRANT INSERT ON alarm_outbox TO sensorstream_api;

-- Grafana's dashboards: read only.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO grafana_reader;
