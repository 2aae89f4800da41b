import type { Column } from "./output.js";

/** The fields of the API's answers that iotctl reads; everything else is passed through to -o json. */
export type Sensor = {
  id: string;
  type: string | null;
  presence: string;
  last_seen: string | null;
  reported: { mode: string | null; sample_hz: number | null };
  desired: { mode: string | null; sample_hz: number | null };
  in_sync: boolean;
};

export const COMMAND_STATES = ["queued", "sent", "acked", "failed", "expired"] as const;
/** After these, a command's state never changes. */
export const FINAL_STATES: readonly string[] = ["acked", "failed", "expired"];

export type Command = {
  command_id: string;
  sensor_id: string;
  name: string;
  args: Record<string, unknown>;
  state: string;
  issued_at: string;
  expires_at: string;
  error?: string | null;
};

export const sensorColumns: Column<Sensor>[] = [
  { header: "ID", value: (s) => s.id },
  { header: "TYPE", value: (s) => s.type },
  { header: "PRESENCE", value: (s) => s.presence },
  { header: "MODE", value: (s) => s.reported.mode },
  { header: "HZ", value: (s) => s.reported.sample_hz },
  { header: "IN_SYNC", value: (s) => s.in_sync },
  { header: "LAST_SEEN", value: (s) => s.last_seen },
];

export const commandColumns: Column<Command>[] = [
  { header: "COMMAND_ID", value: (c) => c.command_id },
  { header: "SENSOR", value: (c) => c.sensor_id },
  { header: "NAME", value: (c) => c.name },
  { header: "ARGS", value: (c) => c.args },
  { header: "STATE", value: (c) => c.state },
  { header: "ISSUED_AT", value: (c) => c.issued_at },
  { header: "EXPIRES_AT", value: (c) => c.expires_at },
  { header: "ERROR", value: (c) => c.error },
];

export type AlarmRuleView = {
  rule_id: string;
  name: string;
  kind: string;
  enabled: boolean;
  metric?: string;
  op?: string;
  threshold?: number;
  clear_threshold?: number;
  low?: number;
  high?: number;
  for_s: number;
  severity: string;
  scope: Record<string, unknown>;
};

const conditionOf = (r: AlarmRuleView): string => {
  if (r.kind === "no_data") return `no data for ${r.for_s}s`;
  const cond = r.op === "outside" ? `${r.metric} outside ${r.low}..${r.high}` : `${r.metric} ${r.op} ${r.threshold}`;
  return r.for_s > 0 ? `${cond} for ${r.for_s}s` : cond;
};

export const alarmRuleColumns: Column<AlarmRuleView>[] = [
  { header: "RULE_ID", value: (r) => r.rule_id },
  { header: "NAME", value: (r) => r.name },
  { header: "CONDITION", value: conditionOf },
  { header: "SEVERITY", value: (r) => r.severity },
  { header: "SCOPE", value: (r) => r.scope },
  { header: "ENABLED", value: (r) => r.enabled },
];

export type AlarmView = {
  alarm_id: string;
  rule_id: string;
  sensor_id: string;
  metric: string;
  severity: string;
  state: string;
  raised_at: string;
  value: number;
  threshold: number;
  cleared_at: string | null;
};

export const ALARM_STATES = ["open", "cleared", "all"] as const;
export const SEVERITIES = ["info", "warning", "critical"] as const;

export const alarmColumns: Column<AlarmView>[] = [
  { header: "ALARM_ID", value: (a) => a.alarm_id },
  { header: "SENSOR", value: (a) => a.sensor_id },
  { header: "METRIC", value: (a) => a.metric },
  { header: "VALUE", value: (a) => a.value },
  { header: "THRESHOLD", value: (a) => a.threshold },
  { header: "SEVERITY", value: (a) => a.severity },
  { header: "STATE", value: (a) => a.state },
  { header: "RAISED_AT", value: (a) => a.raised_at },
  { header: "CLEARED_AT", value: (a) => a.cleared_at },
];
