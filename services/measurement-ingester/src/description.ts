import { defineService } from "@sensorstream/runtime";
import { ingesterConfigSchema } from "./config.js";
import { startMeasurementIngester } from "./service.js";

/** `measurements` into PostgreSQL in batches: what main.ts, npm start and the tests run. */
export const measurementIngesterService = defineService({
  name: "measurement-ingester",
  configSchema: ingesterConfigSchema,
  start: (config, deps) => startMeasurementIngester(config, deps),
});
