import { busConfig, databaseConfig, loadConfig, serviceProcessConfig } from "@sensorstream/runtime";
import { z } from "zod";

export const apiConfigSchema = z.object({
  /** Where the API tells the gateways about rotated tokens and deleted sensors and subscribers (credentials.revoked). */
  ...busConfig,
  DATABASE_URL: databaseConfig.DATABASE_URL,
  DB_POOL_SIZE: databaseConfig.DB_POOL_SIZE,
  ...serviceProcessConfig,
  /** Bearer token for write routes (and reads unless API_READ_ACCESS=open). No default: a secret is never built in. */
  API_TOKEN: z
    .string({ error: "must be set: the bearer token API clients send (e.g. the output of openssl rand -hex 32)" })
    .min(16, "must be at least 16 characters (e.g. the output of openssl rand -hex 32)"),
  /** token: reads need the bearer token too; open: anyone who reaches the port may read. */
  API_READ_ACCESS: z.enum(["open", "token"]).default("token"),
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

export const loadApiConfig = (source: Record<string, string | undefined> = process.env): Readonly<ApiConfig> =>
  loadConfig(apiConfigSchema, source);
