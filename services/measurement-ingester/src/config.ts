import {
  batchConsumerConfig,
  busConfig,
  databaseConfig,
  env,
  loadConfig,
  serviceProcessConfig,
} from "@sensorstream/runtime";
import { z } from "zod";

export const ingesterConfigSchema = z.object({
  ...busConfig,
  ...databaseConfig,
  ...serviceProcessConfig,
  ...batchConsumerConfig,
  /** Days of measurements and positions to keep; 0 keeps them forever. */
  RETENTION_DAYS: env.int(0, 0, 36_500),
  /** TimescaleDB: hours per chunk of measurements and positions (new chunks). */
  STORAGE_CHUNK_HOURS: env.int(24, 1, 8_760),
  /** TimescaleDB: how late readings may arrive; chunks compress once older than this plus one chunk; 0: no compression. */
  STORAGE_REPLAY_WINDOW_HOURS: env.int(144, 0, 87_600),
  /** TimescaleDB: how often the continuous aggregates (1 minute, 1 hour) refresh. */
  AGGREGATE_REFRESH_SECONDS: env.int(60, 10, 86_400),
  /**
   * Batches written at once, each on its own connection from the pool: one batch's COPY overlaps the previous one's
   * commit (and the client's CPU the server's). Keep DB_POOL_SIZE above it (purge and retention share the pool).
   */
  BATCH_CONCURRENCY: env.int(3, 1, 32),
});

export type IngesterConfig = z.output<typeof ingesterConfigSchema>;

export const loadIngesterConfig = (
  source: Record<string, string | undefined> = process.env,
): Readonly<IngesterConfig> => loadConfig(ingesterConfigSchema, source);
