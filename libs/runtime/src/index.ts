export { type Backoff, backoff, sleep } from "./backoff.js";
export { ConfigError, configOrExit, env, loadConfig } from "./config.js";
export {
  batchConsumerConfig,
  busConfig,
  databaseConfig,
  httpConfig,
  processConfig,
  serviceProcessConfig,
  TIMESCALE_MODES,
} from "./config-fragments.js";
export { Health } from "./health.js";
export { createHttpServer, listen, type OpsServerOptions } from "./http-server.js";
export { createLogger, destinationOf, type Logger, type LoggerOptions, silentLogger } from "./logger.js";
export { ConfigConflictError, type MergedShape, mergeConfigSchemas } from "./merge-config.js";
export {
  Counter,
  counter,
  createRegistry,
  Gauge,
  gauge,
  Histogram,
  histogram,
  LATENCY_BUCKETS,
  type MetricsJson,
  mergeMetrics,
  Registry,
} from "./metrics.js";
export { firstFreePort, isPortFree, PortInUseError } from "./ports.js";
export { type ProcessConfig, runService } from "./run-service.js";
export { defineService, type RunningService, type ServiceDeps, type ServiceDescription } from "./service.js";
export { installShutdown, type ShutdownOptions } from "./shutdown.js";
export { VERSION } from "./version.js";
