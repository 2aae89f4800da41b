export { hashToken, newToken, tokenMatches } from "./credentials.js";
export {
  type AnnounceDeletion,
  type NewSensor,
  SensorAdmin,
  type SensorFilter,
  type SensorRecord,
} from "./sensor-admin.js";
export { SUBSCRIBER_PREFIX, type Subscriber, SubscriberAdmin } from "./subscriber-admin.js";
