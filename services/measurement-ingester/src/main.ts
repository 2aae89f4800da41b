#!/usr/bin/env node
import { runService } from "@sensorstream/runtime";
import { measurementIngesterService } from "./description.js";

await runService(measurementIngesterService);
