export { CommandAdmin, type NewCommand } from "./command-admin.js";
export {
  COMMAND_COLUMNS,
  COMMAND_STATES,
  type CommandRecord,
  type CommandRow,
  type CommandState,
  devicePayload,
  FINAL_STATES,
  toCommandRecord,
} from "./command-record.js";
