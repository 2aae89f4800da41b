export { hashToken, tokenMatches } from "./credentials.js";
export { type AnnounceDeletion, SensorAdmin, type SensorRecord } from "./sensor-admin.js";
export { type AwakeSensor, SensorScopeReader } from "./sensor-scope.js";
export { SUBSCRIBER_PREFIX, SubscriberAdmin } from "./subscriber-admin.js";
