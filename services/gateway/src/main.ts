#!/usr/bin/env node
import { runService } from "@sensorstream/runtime";
import { gatewayService } from "./description.js";

await runService(gatewayService);
