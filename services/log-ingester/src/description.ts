import { defineService } from "@sensorstream/runtime";
import { logIngesterConfigSchema } from "./config.js";
import { startLogIngester } from "./service.js";

/** `logs` into sensor_logs in batches: what main.ts, npm start and the tests run. */
export const logIngesterService = defineService({
  name: "log-ingester",
  configSchema: logIngesterConfigSchema,
  start: (config, deps) => startLogIngester(config, deps),
});
