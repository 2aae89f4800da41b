export {
  type Ingester,
  type IngesterDeps,
  type IngesterSettings,
  type IngesterSpec,
  startIngester,
} from "./ingester.js";
export type { PurgeSpec } from "./purge-consumer.js";
export { purgeSensor } from "./purge-rows.js";
