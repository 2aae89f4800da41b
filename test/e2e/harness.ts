import { type Gateway, startGateway } from "@sensorstream/gateway";
import { type LogIngester, startLogIngester } from "@sensorstream/log-ingester";
import { type Ingester, type IngesterSettings, startMeasurementIngester } from "@sensorstream/measurement-ingester";
import { createRegistry, firstFreePort, Health, type Registry, silentLogger } from "@sensorstream/runtime";
import amqp from "amqplib";
import mqtt, { type MqttClient } from "mqtt";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { createTestDatabase, type TestDatabase } from "../fixtures/pg.js";
import { waitFor } from "../fixtures/wait.js";

export type Spine = {
  db: TestDatabase;
  vhost: TestVhost;
  gateway: Gateway;
  gatewayRegistry: Registry;
  ingesters: Array<{ ingester: Ingester; registry: Registry }>;
  /** Started with `logIngester: true`. */
  logIngester: { ingester: LogIngester; registry: Registry } | undefined;
  mqttUrl: string;
  startIngester(overrides?: Partial<IngesterSettings>): Promise<{ ingester: Ingester; registry: Registry }>;
  connect(clientId: string, opts?: mqtt.IClientOptions): Promise<MqttClient>;
  close(): Promise<void>;
};

export const ingesterSettings = (amqpUrl: string, databaseUrl: string): IngesterSettings => ({
  AMQP_URL: amqpUrl,
  DATABASE_URL: databaseUrl,
  TIMESCALEDB: "auto",
  PREFETCH: 2000,
  BATCH_MAX_ROWS: 2000,
  BATCH_FLUSH_MS: 50,
  DB_POOL_SIZE: 2,
  RETENTION_DAYS: 0,
});

/** A gateway, measurement ingesters (one unless told) and optionally a log ingester, on a fresh vhost and database. */
export async function startSpine(
  prefix: string,
  o: {
    maxPayloadBytes?: number;
    ingesterDatabaseUrl?: (url: string) => string;
    ingesters?: number;
    logIngester?: boolean;
    auth?: "open" | "required";
  } = {},
): Promise<Spine> {
  const db = await createTestDatabase(prefix);
  const vhost = await createTestVhost(prefix);
  const clients: MqttClient[] = [];
  const ingesters: Array<{ ingester: Ingester; registry: Registry }> = [];
  const startIngester = async (overrides: Partial<IngesterSettings> = {}) => {
    const registry = createRegistry({ defaultMetrics: false });
    const dbUrl = o.ingesterDatabaseUrl ? o.ingesterDatabaseUrl(db.url) : db.url;
    const health = new Health();
    const ingester = await startMeasurementIngester(
      { ...ingesterSettings(vhost.url, dbUrl), ...overrides },
      { logger: silentLogger(), registry, health, name: `ingester-${ingesters.length}` },
    );
    // Its queue exists once it is ready; messages published before that would have nowhere to go.
    await waitFor(() => health.report().ready, { message: "the ingester never became ready" });
    const entry = { ingester, registry };
    ingesters.push(entry);
    return entry;
  };
  for (let i = 0; i < (o.ingesters ?? 1); i++) await startIngester();
  let logIngester: Spine["logIngester"];
  if (o.logIngester) {
    const registry = createRegistry({ defaultMetrics: false });
    const health = new Health();
    const ingester = await startLogIngester(
      { ...ingesterSettings(vhost.url, db.url), LOG_RETENTION_DAYS: 0 },
      {
        logger: silentLogger(),
        registry,
        health,
      },
    );
    await waitFor(() => health.report().ready, { message: "the log ingester never became ready" });
    logIngester = { ingester, registry };
  }
  const gatewayRegistry = createRegistry({ defaultMetrics: false });
  const gatewayHealth = new Health();
  const gateway = await startGateway(
    {
      AMQP_URL: vhost.url,
      DATABASE_URL: db.url,
      MQTT_AUTH: o.auth ?? "open",
      MQTT_MAX_CONNECTIONS: 1000,
      MQTT_CONNECT_RATE: 1000,
      ACTIVITY_INTERVAL_MS: 200,
      CREDENTIAL_CACHE_MS: 0,
      MQTT_HOST: "127.0.0.1",
      MQTT_PORT: 0,
      // 0 would turn WebSocket off: a free port instead
      MQTT_WS_PORT: await firstFreePort(20_000 + Math.floor(Math.random() * 20_000), "127.0.0.1"),
      MAX_PAYLOAD_BYTES: o.maxPayloadBytes ?? 64 * 1024,
      BUS_WAIT_MS: 2_000,
    },
    { logger: silentLogger(), registry: gatewayRegistry, health: gatewayHealth },
  );
  await waitFor(() => gatewayHealth.report().ready, { message: "the gateway never became ready" });
  const mqttUrl = `mqtt://127.0.0.1:${gateway.mqttPort}`;
  return {
    db,
    vhost,
    gateway,
    gatewayRegistry,
    ingesters,
    logIngester,
    mqttUrl,
    startIngester,
    async connect(clientId, opts = {}) {
      const c = await mqtt.connectAsync(mqttUrl, { clientId, reconnectPeriod: 200, connectTimeout: 5_000, ...opts });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) await c.endAsync(true).catch(() => {});
      await gateway.stop().catch(() => {});
      for (const i of ingesters) await i.ingester.stop().catch(() => {});
      await logIngester?.ingester.stop().catch(() => {});
      await vhost.drop().catch(() => {});
      await db.drop().catch(() => {});
    },
  };
}

export const metricsText = (r: Registry): Promise<string> => r.metrics();

/** Publishes normalized messages straight onto the bus, as the gateway would (confirmed). */
export async function publishDirect(
  url: string,
  messages: Array<{ key: string; body: unknown; headers?: Record<string, unknown> }>,
): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  for (const [i, m] of messages.entries()) {
    const content = Buffer.from(typeof m.body === "string" ? m.body : JSON.stringify(m.body));
    const headers = m.headers ? { headers: m.headers } : {};
    ch.publish("sensor_streaming", m.key, content, { persistent: true, messageId: `direct-${i}`, ...headers });
  }
  await ch.waitForConfirms();
  await conn.close();
}

/** Rows of a sensor as (metric, epoch microseconds, value), ordered. */
export async function rowsOf(db: TestDatabase, sensorId: string) {
  return db.query<{ metric: string; us: string; value: number }>(
    `SELECT metric, (extract(epoch from time) * 1000000)::bigint::text AS us, value
       FROM measurements WHERE sensor_id = $1 ORDER BY time, metric`,
    [sensorId],
  );
}

export async function countRows(db: TestDatabase, where = "true", params: unknown[] = []): Promise<number> {
  const r = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM measurements WHERE ${where}`, params);
  return Number(r[0]?.n ?? 0);
}
