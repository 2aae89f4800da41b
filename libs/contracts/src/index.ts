export {
  type BridgedElement,
  bridgedReadingsBody,
  parseBridgedElements,
  READINGS_BRIDGED_ROUTING_KEY,
} from "./bridged-readings.js";
export { parseBusMessage } from "./bus-messages.js";
export { type CommandDelivered, commandDeliveredRoutingKey, commandDeliveredSchema } from "./command-delivery.js";
export {
  type CommittedReadings,
  committedReadingsSchema,
  READINGS_COMMITTED_ROUTING_KEY,
} from "./committed-readings.js";
export {
  CREDENTIALS_REVOKED_ROUTING_KEY,
  type CredentialRevoked,
  credentialRevokedSchema,
} from "./credentials.js";
export { describeIssues, REJECT_REASONS, type Rejection, type RejectReason } from "./errors.js";
export {
  type ActivityReport,
  activityReportSchema,
  type ConnectionEvent,
  connectionEventSchema,
  connectionRoutingKey,
  GATEWAY_ACTIVITY_ROUTING_KEY,
} from "./gateway-events.js";
export {
  type AckMessage,
  ackMessageSchema,
  type BusMessageByKind,
  type DeviceParseResult,
  deviceAckSchema,
  deviceLogSchema,
  deviceReadingSchema,
  deviceStatusSchema,
  type LogEntry,
  type LogMessage,
  logEntrySchema,
  logMessageSchema,
  MAX_LOG_ENTRIES_PER_MESSAGE,
  MAX_METRICS_PER_READING,
  MAX_READINGS_PER_MESSAGE,
  METRIC_NAME_PATTERN,
  type MeasurementMessage,
  measurementMessageSchema,
  metricNameSchema,
  normalizeLogs,
  normalizeReadings,
  type ParsedDeviceMessage,
  parseDevicePayload,
  type Reading,
  type ReceiveContext,
  readingSchema,
  type StatusMessage,
  statusMessageSchema,
} from "./payloads.js";
export {
  type Alert,
  alertSchema,
  type Command,
  commandSchema,
  PRESENCE_STATES,
  type Presence,
  presenceSchema,
} from "./platform-messages.js";
export {
  CURRENT_SCHEMA_VERSION,
  checkSchemaVersion,
  SCHEMA_VERSION_HEADER,
  type SchemaVersionResult,
} from "./schema-version.js";
export { isSensorId, SENSOR_ID_PATTERN, sensorIdSchema } from "./sensor-id.js";
export { type SensorDeleted, sensorDeletedRoutingKey, sensorDeletedSchema } from "./sensor-lifecycle.js";
export {
  MAX_SAMPLE_HZ,
  MAX_STATUS_EXTRA_BYTES,
  MAX_STATUS_EXTRA_DEPTH,
  MAX_STATUS_EXTRA_KEYS,
  MIN_SAMPLE_HZ,
  STATUS_FIELDS,
  statusExtras,
  statusExtrasProblem,
} from "./status-extras.js";
export {
  epochMillisToMicros,
  formatMicros,
  MAX_TIME_US,
  MIN_TIME_US,
  microsOf,
  nowMicros,
  parseRfc3339ToMicros,
  type TimeParseResult,
} from "./time.js";
export {
  alarmRoutingKey,
  alertTopic,
  COMMAND_NAMES,
  type CommandName,
  commandRoutingKey,
  commandTopic,
  DEAD_LETTER_EXCHANGE,
  DEVICE_KINDS,
  type DeviceKind,
  type DeviceTopic,
  deviceTopicFor,
  EXCHANGE,
  parseDeviceTopic,
  presenceRoutingKey,
  routingKeyFor,
  sensorIdFromRoutingKey,
  type TopicParseResult,
} from "./topics.js";
export { MAX_LOG_FIELD_DEPTH, type UnstorableJson, unstorableJson, unstorableText } from "./unstorable.js";
