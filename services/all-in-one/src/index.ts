export { type AllInOneConfig, allInOneConfigSchema, DEFAULT_PORTS, loadAllInOneConfig } from "./config.js";
export { type Platform, startPlatform } from "./platform.js";
export { liveSummary } from "./summary.js";
