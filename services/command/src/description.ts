import { defineService } from "@sensorstream/runtime";
import { commandConfigSchema } from "./config.js";
import { startCommand } from "./service.js";

/** Commands to sensors, from issue to acked, failed or expired: what main.ts, npm start and the tests run. */
export const commandService = defineService({
  name: "command",
  configSchema: commandConfigSchema,
  start: (config, deps) => startCommand(config, deps),
});
