export { type AckResult, AlarmAdmin, type AlarmFilter } from "./alarm-admin.js";
export {
  ALARM_COLUMNS,
  ALARM_STATES,
  type AlarmRecord,
  type AlarmRow,
  type AlarmState,
  alertOf,
  NO_DATA_METRIC,
  RULE_COLUMNS,
  type RuleRow,
  toAlarmRecord,
  toAlarmRule,
} from "./alarm-record.js";
export { queueAlerts } from "./outbox.js";
export {
  type AlarmRule,
  inputOf,
  MAX_FOR_S,
  type NoDataSpec,
  OPS,
  type Op,
  type ParsedRuleInput,
  RULE_KINDS,
  type RuleInput,
  type RuleSpec,
  ruleInputSchema,
  type Scope,
  SEVERITIES,
  type Severity,
  type ThresholdSpec,
} from "./rule-spec.js";
export { inTransaction } from "./transaction.js";
