export { type IngesterConfig, ingesterConfigSchema, loadIngesterConfig } from "./config.js";
export { Batcher, type BatcherOptions, type Pending, type Store, type WriteResult } from "./core/batcher.js";
export { type MeasurementRow, type PositionRow, rowCount, toRows } from "./core/rows.js";
export { type Ingester, type IngesterDeps, type IngesterSettings, startMeasurementIngester } from "./service.js";
