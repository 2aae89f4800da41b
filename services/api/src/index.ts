export { busRevocations, type Revocations } from "./adapters/bus/revocations.js";
export { type ApiConfig, apiConfigSchema, loadApiConfig } from "./config.js";
export type { AccessPolicy } from "./core/access.js";
export { apiService } from "./description.js";
export { type ApiDeps, registerApi } from "./register.js";
export { type Api, type ApiSettings, startApi } from "./service.js";
