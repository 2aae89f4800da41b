#!/usr/bin/env node
import { runService } from "@sensorstream/runtime";
import { commandService } from "./description.js";

await runService(commandService);
