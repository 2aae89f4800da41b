-- Alarm rules and alarms (owned by the alarm service; the API manages rules and acknowledges alarms through
-- libs/alarms, the alarm service's own module). No foreign key to sensors: a deleted sensor's alarms stay history.
CREATE TABLE IF NOT EXISTS alarm_rules (
  rule_id    uuid        PRIMARY KEY,
  name       text        NOT NULL,
  kind       text        NOT NULL CHECK (kind IN ('threshold', 'no_data')),
  -- the rule as the API accepted it (libs/alarms ruleSpecSchema): metric, op, thresholds, for_s, severity, scope
  spec       jsonb       NOT NULL,
  enabled    boolean     NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- every replica reloads the rules when this moves (a change takes effect within seconds, without a restart);
  -- a no-data rule also counts silence from here (a rule just created or re-enabled does not raise at once)
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS alarms (
  alarm_id        uuid        PRIMARY KEY,
  rule_id         uuid        NOT NULL,
  sensor_id       text        NOT NULL,
  metric          text        NOT NULL,
  severity        text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  state           text        NOT NULL DEFAULT 'raised' CHECK (state IN ('raised', 'acknowledged', 'cleared')),
  -- reading time of the reading that raised it (no data: when the silence reached for_s)
  raised_at       timestamptz NOT NULL,
  value           double precision NOT NULL,
  threshold       double precision NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by text,
  cleared_at      timestamptz,
  cleared_value   double precision,
  clear_reason    text
);
-- At most one open alarm per rule and sensor, whatever the replicas do.
CREATE UNIQUE INDEX IF NOT EXISTS alarms_open_idx ON alarms (rule_id, sensor_id) WHERE state <> 'cleared';
CREATE INDEX IF NOT EXISTS alarms_raised_idx ON alarms (raised_at DESC, alarm_id DESC);
CREATE INDEX IF NOT EXISTS alarms_sensor_idx ON alarms (sensor_id, raised_at DESC);

-- Evaluation state per rule and sensor, by reading time in epoch microseconds (a reading's exact time): the newest
-- reading applied (older ones change nothing) and since when the condition holds without having raised yet (for_s).
-- Only pairs that ever left "normal" have a row.
CREATE TABLE IF NOT EXISTS alarm_state (
  rule_id          uuid   NOT NULL,
  sensor_id        text   NOT NULL,
  last_us          bigint NOT NULL,
  pending_since_us bigint,
  -- by sensor first: a batch reads the state of its sensors
  PRIMARY KEY (sensor_id, rule_id)
);

-- When the alarm service last received data from each sensor (no-data rules).
CREATE TABLE IF NOT EXISTS alarm_sensors_seen (
  sensor_id   text        PRIMARY KEY,
  received_at timestamptz NOT NULL
);

-- Alerts written in the same transaction as the alarm change and published after the commit; a row is deleted
-- once the broker confirmed it, so a crash in between publishes it again (at least once).
CREATE TABLE IF NOT EXISTS alarm_outbox (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sensor_id   text        NOT NULL,
  alert       jsonb       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The start of an evaluation batch in one round trip: take the advisory locks of the batch's sensors (buckets in
-- ascending order: two batches never deadlock), then read their evaluation state and open alarms. PL/pgSQL runs each
-- statement with a fresh snapshot (READ COMMITTED), so the reads see what the previous holder of a lock committed.
CREATE OR REPLACE FUNCTION alarm_batch_start(sensor_ids text[], lock_space int, buckets int)
RETURNS TABLE (kind text, rule_id uuid, sensor_id text, last_us bigint, pending_since_us bigint, alarm_id uuid,
               metric text, severity text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(lock_space, b)
     FROM (SELECT DISTINCT abs(hashtext(s) % buckets)::int AS b FROM unnest(sensor_ids) AS s ORDER BY 1) q;
  RETURN QUERY
    SELECT 'state'::text, st.rule_id, st.sensor_id, st.last_us, st.pending_since_us, NULL::uuid, NULL::text, NULL::text
      FROM alarm_state st WHERE st.sensor_id = ANY(sensor_ids)
    UNION ALL
    SELECT 'open'::text, a.rule_id, a.sensor_id, NULL::bigint, NULL::bigint, a.alarm_id, a.metric, a.severity
      FROM alarms a WHERE a.sensor_id = ANY(sensor_ids) AND a.state <> 'cleared';
END
$$;
