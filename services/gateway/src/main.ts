#!/usr/bin/env node
import { configOrExit, runService, VERSION } from "@sensorstream/runtime";
import { loadGatewayConfig } from "./config.js";
import { startGateway } from "./service.js";

const config = configOrExit(() => loadGatewayConfig(), "gateway");
await runService({
  service: "gateway",
  version: VERSION,
  config,
  start: (deps) => startGateway(config, deps),
});
