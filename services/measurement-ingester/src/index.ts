export type { Ingester } from "@sensorstream/ingest";
export { PgMeasurementStore, type WriteResult } from "./adapters/pg-store.js";
export { type IngesterConfig, ingesterConfigSchema, loadIngesterConfig } from "./config.js";
export { type BatchRows, batchRows, type LatestValues } from "./core/batch-rows.js";
export { BinaryArray, ELEMENT, type ElementOid } from "./core/binary-array.js";
export { rowCount } from "./core/rows.js";
export { measurementIngesterService } from "./description.js";
export { type IngesterSettings, startMeasurementIngester } from "./service.js";
