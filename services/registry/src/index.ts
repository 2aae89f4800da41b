export { PresenceStore } from "./adapters/presence-store.js";
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
