#!/usr/bin/env node
import { runService } from "@sensorstream/runtime";
import { logIngesterService } from "./description.js";

await runService(logIngesterService);
