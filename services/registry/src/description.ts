import { defineService } from "@sensorstream/runtime";
import { registryConfigSchema } from "./config.js";
import { startRegistry } from "./service.js";

/** Sensor presence from what sensors say and what the gateway sees: what main.ts, npm start and the tests run. */
export const registryService = defineService({
  name: "registry",
  configSchema: registryConfigSchema,
  start: (config, deps) => startRegistry(config, deps),
});
