import { defineService } from "@sensorstream/runtime";
import { alarmConfigSchema } from "./config.js";
import { startAlarm } from "./service.js";

/** Alarm rules evaluated on every reading; alarms raised, acknowledged and cleared, published as alerts. */
export const alarmService = defineService({
  name: "alarm",
  configSchema: alarmConfigSchema,
  start: (config, deps) => startAlarm(config, deps),
});
