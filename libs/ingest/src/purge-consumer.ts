import { type Bus, type Consumer, contractParser, type QueueSpec, startConsumer } from "@sensorstream/bus";
import { type SensorDeleted, sensorDeletedSchema } from "@sensorstream/contracts";
import type { Pool, StorageFlavor } from "@sensorstream/db";
import { counter, type Logger, type Registry } from "@sensorstream/runtime";
import { purgeSensor } from "./purge-rows.js";

/** What an ingester owns of a deleted sensor's data, and where it hears about deletions. */
export type PurgeSpec = {
  /** Its own small queue bound to `*.deleted`: every owner sees every deletion. */
  queue: QueueSpec;
  /** Its tables with `sensor_id` and `time` columns. */
  tables: readonly string[];
  /** TimescaleDB continuous aggregates by the table they summarize, refreshed over the purged span. */
  aggregates?: Readonly<Record<string, readonly string[]>>;
};

export type PurgeConsumerOptions = {
  bus: Bus;
  pool: Pool;
  flavor: StorageFlavor;
  spec: PurgeSpec;
  /** The consumer's name: metric label, x-source of its dead letters. */
  name: string;
  batchRows: number;
  logger: Logger;
  registry: Registry;
};

/**
 * Consumes `sensor_<id>.deleted` on the message pipeline, one message at a time: with purge_data, deletes the
 * sensor's rows from the owner's tables in batches; the pipeline acks once the handler resolved (after the last
 * batch committed), retries a database outage with backoff and dead-letters an invalid event with its reason.
 */
export function startPurgeConsumer(o: PurgeConsumerOptions): Promise<Consumer> {
  const purged = counter(o.registry, {
    name: "sensorstream_purged_rows_total",
    help: "Rows deleted because their sensor was deleted with its data, by table",
    labelNames: ["table"],
  });
  return startConsumer<SensorDeleted>({
    bus: o.bus,
    name: o.name,
    queue: o.spec.queue,
    parse: contractParser(sensorDeletedSchema),
    // One deletion at a time: a purge never competes with itself for the same rows.
    prefetch: 1,
    logger: o.logger,
    registry: o.registry,
    async handle(m) {
      if (!m.body.purge_data) return undefined;
      const counts = await purgeSensor(o.pool, o.flavor, o.spec, m.body.sensor_id, o.batchRows);
      for (const [table, rows] of Object.entries(counts)) purged.inc({ table }, rows);
      m.logger.info({ rows: counts }, "purged the data of a deleted sensor");
      return undefined;
    },
  });
}
