import type { Alert } from "@sensorstream/contracts";
import type { AlarmRule, RuleSpec, Severity } from "./rule-spec.js";

export const ALARM_STATES = ["raised", "acknowledged", "cleared"] as const;
export type AlarmState = (typeof ALARM_STATES)[number];
/** The metric an alarm of a no_data rule names (its value is the seconds of silence, its threshold for_s). */
export const NO_DATA_METRIC = "no_data";

/** An alarm as the API shows it; times are RFC 3339 UTC. */
export type AlarmRecord = {
  alarm_id: string;
  rule_id: string;
  sensor_id: string;
  metric: string;
  severity: Severity;
  state: AlarmState;
  raised_at: string;
  value: number;
  threshold: number;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  cleared_at: string | null;
  cleared_value: number | null;
  clear_reason: string | null;
};

export const ALARM_COLUMNS =
  "alarm_id, rule_id, sensor_id, metric, severity, state, raised_at, value, threshold, acknowledged_at, " +
  "acknowledged_by, cleared_at, cleared_value, clear_reason";

export type AlarmRow = Omit<AlarmRecord, "raised_at" | "acknowledged_at" | "cleared_at"> & {
  raised_at: Date;
  acknowledged_at: Date | null;
  cleared_at: Date | null;
};

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toAlarmRecord(r: AlarmRow): AlarmRecord {
  return {
    ...r,
    raised_at: r.raised_at.toISOString(),
    acknowledged_at: iso(r.acknowledged_at),
    cleared_at: iso(r.cleared_at),
  };
}

export const RULE_COLUMNS = "rule_id, name, spec, enabled, created_at, updated_at";
export type RuleRow = {
  rule_id: string;
  name: string;
  spec: RuleSpec;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
};

export function toAlarmRule(r: RuleRow): AlarmRule {
  return {
    ...r.spec,
    rule_id: r.rule_id,
    name: r.name,
    enabled: r.enabled,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

/** The alert of an alarm change (ARCHITECTURE.md's payload): what the bus carries and MQTT subscribers receive. */
export function alertOf(
  a: Pick<AlarmRecord, "alarm_id" | "rule_id" | "sensor_id" | "metric" | "severity">,
  change: { state: Alert["state"]; value: number; threshold: number; ts: string },
): Alert {
  return {
    alarm_id: a.alarm_id,
    rule_id: a.rule_id,
    sensor_id: a.sensor_id,
    metric: a.metric,
    value: change.value,
    threshold: change.threshold,
    severity: a.severity,
    state: change.state,
    ts: change.ts,
  };
}
