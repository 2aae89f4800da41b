#!/usr/bin/env node
import { runService, VERSION } from "@sensorstream/runtime";
import { loadLogIngesterConfig } from "./config.js";
import { startLogIngester } from "./service.js";

const config = loadLogIngesterConfig();
await runService({
  service: "log-ingester",
  version: VERSION,
  config,
  start: (deps) => startLogIngester(config, deps),
});
