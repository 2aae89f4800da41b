-- The database roles of a least-privilege deployment (docs/deployment.md, "Database roles").
-- Run by the PostgreSQL superuser with psql, any number of times (the db-roles Job in Kubernetes):
--   psql -v ON_ERROR_STOP=1 -v dbname=sensorstream -v migrator_password=... -v gateway_password=... \
--        -v registry_password=... -v command_password=... -v alarm_password=... -v measurement_ingester_password=... -v log_ingester_password=... \
--        -v api_password=... -v grafana_password=... -f roles.sql
-- It creates the roles and sets their passwords; tables do not exist yet on a new database, so what
-- each role may do with each table is granted after the migrations, by the migration role
-- (deploy/postgres/grants.sql, run by `sensorstream migrate --grants`).
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I', r)
  FROM unnest(ARRAY['sensorstream_migrator', 'sensorstream_gateway', 'sensorstream_registry', 'sensorstream_command', 'sensorstream_alarm',
                    'sensorstream_measurement_ingester', 'sensorstream_log_ingester', 'sensorstream_api',
                    'grafana_reader']) AS r
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r)
\gexec

-- Logins, none privileged. The passwords come from the Secret sensorstream-db-users.
ALTER ROLE sensorstream_migrator WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'migrator_password';
ALTER ROLE sensorstream_gateway WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'gateway_password';
ALTER ROLE sensorstream_registry WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'registry_password';
ALTER ROLE sensorstream_command WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'command_password';
ALTER ROLE sensorstream_alarm WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'alarm_password';
ALTER ROLE sensorstream_measurement_ingester WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'measurement_ingester_password';
ALTER ROLE sensorstream_log_ingester WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'log_ingester_password';
ALTER ROLE sensorstream_api WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'api_password';
ALTER ROLE grafana_reader WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'grafana_password';

-- The migration role is a member of each owning service's role: it hands the tables it creates to
-- their owners (ALTER ... OWNER needs that) and can still migrate them afterwards.
GRANT sensorstream_registry, sensorstream_command, sensorstream_alarm, sensorstream_measurement_ingester, sensorstream_log_ingester TO sensorstream_migrator;

-- The extension needs the superuser; the migrations then find it installed.
SELECT 'CREATE EXTENSION IF NOT EXISTS timescaledb'
 WHERE EXISTS (SELECT FROM pg_available_extensions WHERE name = 'timescaledb')
\gexec

-- TimescaleDB keeps a compressed hypertable's compressed table in _timescaledb_internal: handing
-- such a hypertable to its owning service (grants.sql) needs that role to be allowed to create there.
SELECT 'GRANT CREATE ON SCHEMA _timescaledb_internal TO sensorstream_measurement_ingester, sensorstream_log_ingester'
 WHERE EXISTS (SELECT FROM pg_namespace WHERE nspname = '_timescaledb_internal')
\gexec

-- A database that ran before these roles (its services logged in as the superuser, who owns its
-- tables): the migration role takes the tables over, so grants.sql can hand them on. A no-op later.
-- The schema's only views are TimescaleDB continuous aggregates, which take ALTER MATERIALIZED VIEW.
SELECT format('ALTER %s public.%I OWNER TO sensorstream_migrator',
              CASE WHEN c.relkind IN ('m', 'v') THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
   AND pg_get_userbyid(c.relowner) NOT IN ('sensorstream_migrator', 'sensorstream_registry', 'sensorstream_command', 'sensorstream_alarm',
       'sensorstream_measurement_ingester', 'sensorstream_log_ingester')
\gexec

-- Connect only as one of these roles. TEMPORARY only for the log ingester's per-connection staging table (the
-- measurement ingester writes a batch in one statement since 2026-11 and needs none); earlier versions of this
-- script granted it to every service, so it is revoked from the others (a no-op on a new database).
REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"dbname"
   TO sensorstream_migrator, sensorstream_gateway, sensorstream_registry, sensorstream_command, sensorstream_alarm,
      sensorstream_measurement_ingester, sensorstream_log_ingester, sensorstream_api;
REVOKE TEMPORARY ON DATABASE :"dbname"
  FROM sensorstream_migrator, sensorstream_gateway, sensorstream_registry, sensorstream_command, sensorstream_alarm,
       sensorstream_measurement_ingester, sensorstream_api;
GRANT TEMPORARY ON DATABASE :"dbname" TO sensorstream_log_ingester;
GRANT CONNECT ON DATABASE :"dbname" TO grafana_reader;

-- Only the migration role and the owning services create in the schema (owning a table needs it);
-- the two services that face the outside, gateway and api, create nothing.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public
   TO sensorstream_migrator, sensorstream_gateway, sensorstream_registry, sensorstream_command, sensorstream_alarm,
      sensorstream_measurement_ingester, sensorstream_log_ingester, sensorstream_api, grafana_reader;
GRANT CREATE ON SCHEMA public
   TO sensorstream_migrator, sensorstream_registry, sensorstream_command, sensorstream_alarm, sensorstream_measurement_ingester,
      sensorstream_log_ingester;
