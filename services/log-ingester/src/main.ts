#!/usr/bin/env node
import { configOrExit, runService, VERSION } from "@sensorstream/runtime";
import { loadLogIngesterConfig } from "./config.js";
import { startLogIngester } from "./service.js";

const config = configOrExit(() => loadLogIngesterConfig(), "log-ingester");
await runService({
  service: "log-ingester",
  version: VERSION,
  config,
  start: (deps) => startLogIngester(config, deps),
});
