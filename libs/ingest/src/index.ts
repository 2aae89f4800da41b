export { type Ingester, type IngesterDeps, type IngesterSettings, startIngester } from "./ingester.js";
export { purgeSensor } from "./purge-rows.js";
