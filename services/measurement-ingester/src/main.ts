#!/usr/bin/env node
import { configOrExit, runService, VERSION } from "@sensorstream/runtime";
import { loadIngesterConfig } from "./config.js";
import { startMeasurementIngester } from "./service.js";

const config = configOrExit(() => loadIngesterConfig(), "measurement-ingester");
await runService({
  service: "measurement-ingester",
  version: VERSION,
  config,
  start: (deps) => startMeasurementIngester(config, deps),
});
