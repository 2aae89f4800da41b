export {
  type AllInOneConfig,
  allInOneConfigSchema,
  DEFAULT_PORTS,
  loadAllInOneConfig,
  NPM_START_OVERRIDES,
} from "./config.js";
export { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded/postgres.js";
export { type Platform, startPlatform } from "./platform.js";
export { probePostgres, probeRabbitMq } from "./probe.js";
export { PLATFORM_SERVICES } from "./services.js";
export { liveSummary } from "./summary.js";
export { type WaitOptions, type WaitResult, waitUntilReachable } from "./wait.js";
