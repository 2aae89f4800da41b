export { hashToken, newToken, tokenMatches } from "./adapters/credentials.js";
export {
  type NewSensor,
  SensorAdmin,
  type SensorFilter,
  type SensorRecord,
  toRecord,
} from "./adapters/sensor-admin.js";
export { SUBSCRIBER_PREFIX, type Subscriber, SubscriberAdmin } from "./adapters/subscriber-admin.js";
