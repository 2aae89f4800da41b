import { openBus } from "@sensorstream/bus";
import { type Gateway, type GatewaySettings, gatewayService } from "@sensorstream/gateway";
import { type LogIngester, logIngesterService } from "@sensorstream/log-ingester";
import { type Ingester, measurementIngesterService } from "@sensorstream/measurement-ingester";
import { createRegistry, firstFreePort, type Registry, silentLogger } from "@sensorstream/runtime";
import mqtt, { type MqttClient } from "mqtt";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { createTestDatabase, type TestDatabase } from "../fixtures/pg.js";
import { startService } from "../fixtures/services.js";

export type Spine = {
  db: TestDatabase;
  vhost: TestVhost;
  gateway: Gateway;
  gatewayRegistry: Registry;
  ingesters: Array<{ ingester: Ingester; registry: Registry }>;
  /** Started with `logIngester: true`. */
  logIngester: { ingester: LogIngester; registry: Registry } | undefined;
  mqttUrl: string;
  /** Another measurement ingester; `env` overrides ingesterEnv's variables. */
  startIngester(env?: Record<string, string>): Promise<{ ingester: Ingester; registry: Registry }>;
  connect(clientId: string, opts?: mqtt.IClientOptions): Promise<MqttClient>;
  close(): Promise<void>;
};

/** An ingester's environment for tests: small batches flushed quickly, a small pool. */
export const ingesterEnv = (amqpUrl: string, databaseUrl: string): Record<string, string> => ({
  AMQP_URL: amqpUrl,
  DATABASE_URL: databaseUrl,
  PREFETCH: "2000",
  BATCH_MAX_ROWS: "2000",
  BATCH_FLUSH_MS: "50",
  DB_POOL_SIZE: "2",
});

/** A gateway's environment for tests: loopback, any free MQTT port, generous limits, activity reported often. */
export const gatewayEnv = async (amqpUrl: string, databaseUrl: string): Promise<Record<string, string>> => ({
  AMQP_URL: amqpUrl,
  DATABASE_URL: databaseUrl,
  MQTT_AUTH: "open",
  MQTT_MAX_CONNECTIONS: "1000",
  MQTT_CONNECT_RATE: "1000",
  ACTIVITY_INTERVAL_MS: "200",
  CREDENTIAL_CACHE_MS: "0",
  MQTT_HOST: "127.0.0.1",
  MQTT_PORT: "0",
  // 0 would turn WebSocket off: a free port instead
  MQTT_WS_PORT: String(await firstFreePort(20_000 + Math.floor(Math.random() * 20_000), "127.0.0.1")),
  MAX_PAYLOAD_BYTES: String(64 * 1024),
  BUS_WAIT_MS: "2000",
});

/**
 * Settings of a gateway started in-process with device security on (MQTT_AUTH=required), ephemeral ports and a long
 * credential cache: revocation and new tokens must work without waiting for it.
 */
export const securedGatewaySettings = (
  amqpUrl: string,
  databaseUrl: string,
  over: Partial<GatewaySettings> = {},
): GatewaySettings => ({
  AMQP_URL: amqpUrl,
  DATABASE_URL: databaseUrl,
  MQTT_AUTH: "required",
  MQTT_HOST: "127.0.0.1",
  MQTT_PORT: 0,
  MQTT_WS_PORT: 0,
  MAX_PAYLOAD_BYTES: 65536,
  MQTT_MAX_CONNECTIONS: 100,
  MQTT_CONNECT_RATE: 1000,
  BUS_WAIT_MS: 2000,
  ACTIVITY_INTERVAL_MS: 200,
  CREDENTIAL_CACHE_MS: 60_000,
  ...over,
});

/**
 * A gateway, measurement ingesters (one unless told) and optionally a log ingester, on a fresh vhost
 * and database: the services' own descriptions, each with its own metrics registry.
 */
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
  const stops: Array<() => Promise<void>> = [];
  const ingesters: Array<{ ingester: Ingester; registry: Registry }> = [];
  const startIngester = async (env: Record<string, string> = {}) => {
    const dbUrl = o.ingesterDatabaseUrl ? o.ingesterDatabaseUrl(db.url) : db.url;
    // Ready means its queue exists: messages published before that would have nowhere to go.
    const started = await startService(measurementIngesterService, { ...ingesterEnv(vhost.url, dbUrl), ...env });
    stops.push(started.stop);
    const entry = { ingester: started.service, registry: started.registry };
    ingesters.push(entry);
    return entry;
  };
  for (let i = 0; i < (o.ingesters ?? 1); i++) await startIngester();
  let logIngester: Spine["logIngester"];
  if (o.logIngester) {
    const started = await startService(logIngesterService, ingesterEnv(vhost.url, db.url));
    stops.push(started.stop);
    logIngester = { ingester: started.service, registry: started.registry };
  }
  const gateway = await startService(gatewayService, {
    ...(await gatewayEnv(vhost.url, db.url)),
    MQTT_AUTH: o.auth ?? "open",
    ...(o.maxPayloadBytes ? { MAX_PAYLOAD_BYTES: String(o.maxPayloadBytes) } : {}),
  });
  stops.push(gateway.stop);
  const mqttUrl = `mqtt://127.0.0.1:${gateway.service.mqttPort}`;
  return {
    db,
    vhost,
    gateway: gateway.service,
    gatewayRegistry: gateway.registry,
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
      // The gateway first, then the consumers: what it accepted is still stored.
      for (const stop of stops.reverse()) await stop().catch(() => {});
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
  // Through the Bus port, so it works on RabbitMQ and on the embedded bus alike; raw (no schema version added).
  const bus = openBus({
    url,
    name: "test-publisher",
    logger: silentLogger(),
    registry: createRegistry({ defaultMetrics: false }),
  });
  bus.start();
  try {
    for (const [i, m] of messages.entries()) {
      const content = Buffer.from(typeof m.body === "string" ? m.body : JSON.stringify(m.body));
      await bus.publish(m.key, content, {
        messageId: `direct-${i}`,
        mandatory: false,
        schemaVersion: null,
        ...(m.headers ? { headers: m.headers } : {}),
      });
    }
  } finally {
    await bus.close();
  }
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
