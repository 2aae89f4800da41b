#!/usr/bin/env node
import { runService } from "@sensorstream/runtime";
import { apiService } from "./description.js";

await runService(apiService);
