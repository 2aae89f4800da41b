export { type ApiConfig, apiConfigSchema, loadApiConfig } from "./config.js";
export type { AccessPolicy } from "./core/access.js";
export { type ApiDeps, registerApi } from "./register.js";
