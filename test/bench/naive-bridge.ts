#!/usr/bin/env node
/**
 * The deliberately naive bridge the bench compares against (run as its own process, like the platform): aedes, and
 * for every MQTT publish one INSERT of its readings, PUBACK when it returns. No bus, no batching, no validation
 * beyond JSON. It exposes the two metrics the bench reads from the platform (e2e latency and rows written) on HTTP,
 * and prints `naive-bridge mqtt=<port> http=<port>` when it listens. Env: DATABASE_URL (a migrated database).
 */
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { counter, createRegistry, histogram, LATENCY_BUCKETS } from "@sensorstream/runtime";
import { Aedes } from "aedes";
import pg from "pg";

type DeviceReading = { ts?: string; values?: Record<string, number> };

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const registry = createRegistry({ defaultMetrics: false });
const e2e = histogram(registry, {
  name: "sensorstream_ingester_e2e_latency_seconds",
  help: "From a reading's timestamp to its row being committed",
  buckets: LATENCY_BUCKETS,
});
const rows = counter(registry, { name: "sensorstream_ingester_rows_total", help: "Rows written" });

async function insert(sensorId: string, payload: Buffer): Promise<void> {
  const json = JSON.parse(payload.toString("utf8")) as DeviceReading | DeviceReading[];
  const readings = Array.isArray(json) ? json : [json];
  const params: unknown[] = [];
  const tuples: string[] = [];
  for (const r of readings) {
    for (const [metric, value] of Object.entries(r.values ?? {})) {
      const n = params.length;
      params.push(r.ts ?? new Date().toISOString(), sensorId, metric, value);
      tuples.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4})`);
    }
  }
  if (tuples.length === 0) return;
  await pool.query(
    `INSERT INTO measurements (time, sensor_id, metric, value) VALUES ${tuples.join(", ")} ON CONFLICT DO NOTHING`,
    params,
  );
  const now = Date.now();
  rows.inc(tuples.length);
  for (const r of readings) if (r.ts) e2e.observe(Math.max(0, now - Date.parse(r.ts)) / 1000);
}

const broker = new Aedes();
// The PUBACK waits for the INSERT (aedes acknowledges after authorizePublish calls back).
broker.authorizePublish = (_client, packet, callback) => {
  const m = /^sensors\/([^/]+)\/data$/.exec(packet.topic);
  if (!m?.[1]) return callback(null);
  insert(m[1], packet.payload as Buffer).then(
    () => callback(null),
    (err: Error) => callback(err),
  );
};
await broker.listen();
const mqtt = createServer(broker.handle);
await new Promise<void>((r) => mqtt.listen(0, "127.0.0.1", r));
const http = createHttpServer((_req, res) => {
  registry.metrics().then((text) => res.end(text));
});
await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
process.stdout.write(
  `naive-bridge mqtt=${(mqtt.address() as AddressInfo).port} http=${(http.address() as AddressInfo).port}\n`,
);
process.on("SIGTERM", () => {
  mqtt.close();
  http.close();
  broker.close(() => void pool.end().then(() => process.exit(0)));
});
