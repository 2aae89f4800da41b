#!/usr/bin/env node
import { runService } from "@sensorstream/runtime";
import { registryService } from "./description.js";

await runService(registryService);
