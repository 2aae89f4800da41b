export { PgLogStore } from "./adapters/pg-store.js";
export { type LogIngesterConfig, loadLogIngesterConfig, logIngesterConfigSchema } from "./config.js";
export { type LogRow, lineCount, linesByLevel, toLogRows } from "./core/rows.js";
export { logIngesterService } from "./description.js";
export {
  type LogIngester,
  type LogIngesterDeps,
  type LogIngesterSettings,
  parseLogDelivery,
  startLogIngester,
} from "./service.js";
