import { env, loadConfig } from "@sensorstream/runtime";
import { z } from "zod";

export const apiConfigSchema = z.object({
  DATABASE_URL: env.url("postgresql://postgres@localhost:5432/sensorstream", ["postgres:", "postgresql:"]),
  HTTP_HOST: z.string().default("0.0.0.0"),
  HTTP_PORT: env.port(8080),
  /** Bearer token for write routes (and reads unless API_READ_ACCESS=open). No default: a secret is never built in. */
  API_TOKEN: z
    .string({ error: "must be set: the bearer token API clients send (e.g. the output of openssl rand -hex 32)" })
    .min(16, "must be at least 16 characters (e.g. the output of openssl rand -hex 32)"),
  /** token: reads need the bearer token too; open: anyone who reaches the port may read. */
  API_READ_ACCESS: z.enum(["open", "token"]).default("token"),
  DB_POOL_SIZE: env.int(4, 1, 100),
  DRAIN_TIMEOUT_MS: env.int(20_000, 1_000, 600_000),
  LOG_LEVEL: env.logLevel(),
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

export const loadApiConfig = (source: Record<string, string | undefined> = process.env): Readonly<ApiConfig> =>
  loadConfig(apiConfigSchema, source);
