import { defineService } from "@sensorstream/runtime";
import { apiConfigSchema } from "./config.js";
import { startApi } from "./service.js";

/** The HTTP API (/api, /docs, /openapi.json): what main.ts, npm start and the tests run. */
export const apiService = defineService({
  name: "api",
  configSchema: apiConfigSchema,
  routes: true,
  start: (config, deps) => startApi(config, deps),
});
