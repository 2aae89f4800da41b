export { type CommandConfig, commandConfigSchema } from "./config.js";
export { commandService } from "./description.js";
export { type CommandService, startCommand } from "./service.js";
