import { busConfig, databaseConfig, env, serviceProcessConfig } from "@sensorstream/runtime";
import { z } from "zod";

export const commandConfigSchema = z.object({
  ...busConfig,
  ...databaseConfig,
  ...serviceProcessConfig,
  /** How often commands past their expires_at are marked expired (they are never sent after that anyway). */
  COMMAND_SWEEP_S: env.int(5, 1, 3_600),
  /** A queued command of a reachable sensor is published again this long after its last publish (a lost publish). */
  COMMAND_RETRY_S: env.int(30, 1, 3_600),
});

export type CommandConfig = z.output<typeof commandConfigSchema>;
