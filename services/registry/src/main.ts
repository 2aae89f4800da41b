#!/usr/bin/env node
import { configOrExit, runService, VERSION } from "@sensorstream/runtime";
import { loadRegistryConfig } from "./config.js";
import { startRegistry } from "./service.js";

const config = configOrExit(() => loadRegistryConfig(), "registry");
await runService({
  service: "registry",
  version: VERSION,
  config,
  start: (deps) => startRegistry(config, deps),
});
