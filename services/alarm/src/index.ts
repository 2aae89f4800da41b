export { type AlarmConfig, alarmConfigSchema } from "./config.js";
export { alarmService } from "./description.js";
export { type AlarmService, startAlarm } from "./service.js";
