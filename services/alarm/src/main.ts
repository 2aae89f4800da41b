#!/usr/bin/env node
import { runService } from "@sensorstream/runtime";
import { alarmService } from "./description.js";

await runService(alarmService);
