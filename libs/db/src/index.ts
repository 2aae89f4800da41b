export { type CopyValue, copyRows, copyText } from "./copy.js";
export { errorCode, isPermanentDataError } from "./errors.js";
export {
  detectTimescale,
  listMigrations,
  MigrationError,
  migrate,
  migrateWhenReachable,
  type StorageFlavor,
  TIMESCALE_MODES,
  type TimescaleMode,
} from "./migrations.js";
export { createPool, ensureDatabase, type Pool, type PoolClient, type PoolOptions, quoteIdent } from "./pool.js";
export {
  type Retention,
  type RetentionOptions,
  retentionLockKey,
  type SweepResult,
  startRetention,
} from "./retention.js";
export { type StagedTransaction, stagedTransaction } from "./staging.js";
export { applyStorage, type StorageSettings } from "./storage.js";
