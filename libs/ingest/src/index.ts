export {
  type Ingester,
  type IngesterDeps,
  type IngesterSettings,
  type IngesterSpec,
  startIngester,
} from "./ingester.js";
