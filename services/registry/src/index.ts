export { hashToken, newToken, tokenMatches } from "./adapters/credentials.js";
export { PresenceStore } from "./adapters/presence-store.js";
export {
  type NewSensor,
  SensorAdmin,
  type SensorFilter,
  type SensorRecord,
  toRecord,
} from "./adapters/sensor-admin.js";
export { SUBSCRIBER_PREFIX, type Subscriber, SubscriberAdmin } from "./adapters/subscriber-admin.js";
export { loadRegistryConfig, type RegistryConfig, registryConfigSchema } from "./config.js";
export {
  initialPresence,
  type Mode,
  nextPresence,
  type PresenceEvent,
  type PresencePolicy,
  type PresenceState,
  type SensorPresence,
  silentAfterS,
  type Transition,
} from "./core/presence.js";
export { registryService } from "./description.js";
export { type RegistryDeps, type RegistryService, type RegistrySettings, startRegistry } from "./service.js";
