import { batchConsumerConfig, busConfig, databaseConfig, env, serviceProcessConfig } from "@sensorstream/runtime";
import { z } from "zod";

export const alarmConfigSchema = z.object({
  ...busConfig,
  ...databaseConfig,
  ...serviceProcessConfig,
  ...batchConsumerConfig,
  /** How often each replica reloads the rules (a change takes effect on every replica within this, no restart). */
  ALARM_RULES_POLL_MS: env.int(2_000, 100, 60_000),
  /** How often no-data rules are checked (a silent sensor raises within for_s plus this). */
  ALARM_NO_DATA_CHECK_S: env.int(5, 1, 3_600),
});

export type AlarmConfig = z.output<typeof alarmConfigSchema>;
