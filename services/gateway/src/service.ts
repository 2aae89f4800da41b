import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createPool, type Pool } from "@sensorstream/db";
import type { Health, Logger, Registry } from "@sensorstream/runtime";
import { Aedes } from "aedes";
import { BridgedReadings } from "./adapters/bridged-readings.js";
import { ConnectGate } from "./adapters/connect-gate.js";
import { CredentialDirectory } from "./adapters/directory.js";
import { openGatewayBus } from "./adapters/gateway-bus.js";
import { GatewayEvents } from "./adapters/gateway-events.js";
import { gatewayMetrics } from "./adapters/metrics.js";
import { connectHandler } from "./adapters/mqtt/connect-handler.js";
import { installConnectionHandlers } from "./adapters/mqtt/connection-handler.js";
import { PublishHandler } from "./adapters/mqtt/publish-handler.js";
import { indexedMemoryPersistence } from "./adapters/mqtt/retained-persistence.js";
import { subscribeHandler } from "./adapters/mqtt/subscribe-handler.js";
import { type Listeners, openListeners, type TlsFiles } from "./adapters/mqtt-listeners.js";
import { OutboundHandler } from "./adapters/outbound-handler.js";
import { RevocationHandler } from "./adapters/revocation-handler.js";
import { Sessions } from "./adapters/sessions.js";
import type { GatewayConfig } from "./config.js";
import { ActivityTracker } from "./core/activity.js";

export type GatewaySettings = Pick<
  GatewayConfig,
  | "AMQP_URL"
  | "DATABASE_URL"
  | "MQTT_AUTH"
  | "MQTT_HOST"
  | "MQTT_PORT"
  | "MQTT_WS_PORT"
  | "MAX_PAYLOAD_BYTES"
  | "MQTT_MAX_CONNECTIONS"
  | "MQTT_CONNECT_RATE"
  | "BUS_WAIT_MS"
  | "ACTIVITY_INTERVAL_MS"
  | "CREDENTIAL_CACHE_MS"
> &
  Partial<
    Pick<
      GatewayConfig,
      | "MQTT_MAX_PENDING_CONNECTS"
      | "MQTT_CONNECT_TIMEOUT_MS"
      | "MQTT_TLS_PORT"
      | "MQTT_WSS_PORT"
      | "MQTT_TLS_CERT_FILE"
      | "MQTT_TLS_KEY_FILE"
      | "MQTT_TLS_CA_FILE"
      | "MQTT_PROXY_PROTOCOL"
      | "PER_SENSOR_DATA"
      | "BRIDGED_LINGER_MS"
    >
  >;
export type GatewayDeps = {
  logger: Logger;
  registry: Registry;
  health: Health;
  clock?: () => number;
  newId?: () => string;
};
export type Gateway = {
  mqttPort: number;
  wsPort: number | undefined;
  tlsPort: number | undefined;
  wssPort: number | undefined;
  gatewayId: string;
  broker: Aedes;
  sessions: Sessions;
  gate: ConnectGate;
  stop(): Promise<void>;
};

/** The largest MQTT packet read: a payload a little over the limit still reaches the bridge, which refuses it. */
const maxPacketBytes = (maxPayloadBytes: number): number => maxPayloadBytes * 2 + 64 * 1024;

/**
 * MQTT in, RabbitMQ out. Composes the handlers (connect, publish, subscribe, connection lifecycle, revocation);
 * the decisions live in core/ and the handlers in adapters/.
 */
export async function startGateway(config: GatewaySettings, deps: GatewayDeps): Promise<Gateway> {
  const { logger, registry, health } = deps;
  const clock = deps.clock ?? Date.now;
  const newId = deps.newId ?? randomUUID;
  const metrics = gatewayMetrics(registry);
  const tls = readTlsFiles(config);
  if (config.MQTT_AUTH === "open") {
    logger.warn("MQTT_AUTH=open: ANY client may connect and publish as any sensor. Use it only on a trusted network.");
  }
  const pool: Pool | undefined =
    config.MQTT_AUTH === "required"
      ? createPool({ url: config.DATABASE_URL, logger, max: 2, applicationName: "gateway" })
      : undefined;
  const directory = pool ? new CredentialDirectory(pool, config.CREDENTIAL_CACHE_MS) : undefined;
  const gatewayId = `gateway-${newId().slice(0, 8)}`;
  const sessions = new Sessions();
  const revocations = new RevocationHandler({ sessions, directory, metrics, logger });
  // Bound once the broker exists; until then nobody is connected here, so there is no one to deliver to.
  let outbound: OutboundHandler | undefined;

  const { bus, publisher, deadLetters, replicaQueue } = await openGatewayBus({
    url: config.AMQP_URL,
    gatewayId,
    waitForConnectionMs: config.BUS_WAIT_MS,
    revocations,
    onOutbound: (key, content) => void outbound?.onMessage(key, content),
    logger,
    registry,
  });

  const activity = new ActivityTracker();
  const events = new GatewayEvents({
    gatewayId,
    publisher,
    activity,
    intervalMs: config.ACTIVITY_INTERVAL_MS,
    logger,
    metrics,
    clock,
  });
  const broker = new Aedes({
    drainTimeout: 30_000,
    maxTopicLevels: 8,
    connectTimeout: config.MQTT_CONNECT_TIMEOUT_MS ?? 10_000,
    maxClientsIdLength: 256,
    // Retained messages indexed by topic prefix: a sensor's SUBSCRIBE does not scan every sensor's retained status.
    persistence: indexedMemoryPersistence(),
  });
  const publishes = new PublishHandler({
    sessions,
    publisher,
    bridged: new BridgedReadings({ publisher, newId, lingerMs: config.BRIDGED_LINGER_MS ?? 0 }),
    perSensorData: config.PER_SENSOR_DATA ?? true,
    deadLetters,
    activity,
    metrics,
    logger,
    clock,
    newId,
    maxPayloadBytes: config.MAX_PAYLOAD_BYTES,
  });
  publishes.install(broker);
  outbound = new OutboundHandler({ broker, sessions, publisher, metrics, logger, gatewayId, clock, newId });
  broker.authenticate = connectHandler({
    broker,
    mode: config.MQTT_AUTH,
    directory,
    sessions,
    requireClientCertificate: tls?.ca !== undefined,
    maxConnections: config.MQTT_MAX_CONNECTIONS,
    connectRatePerIp: config.MQTT_CONNECT_RATE,
    logger,
    metrics,
    clock,
  });
  broker.authorizeSubscribe = subscribeHandler({ sessions, logger, metrics });
  installConnectionHandlers(broker, { sessions, events, activity, metrics, logger, clock });
  await broker.listen();
  events.start();
  const gate = new ConnectGate(broker, {
    maxPending: config.MQTT_MAX_PENDING_CONNECTS ?? 1_000,
    maxPacketBytes: maxPacketBytes(config.MAX_PAYLOAD_BYTES),
    connectTimeoutMs: config.MQTT_CONNECT_TIMEOUT_MS ?? 10_000,
    metrics,
  });

  let listeners: Listeners | undefined;
  const closeAll = async () => {
    // Nothing new comes in; connections are closed (their Last Wills go through the bridge), then what they
    // handed to RabbitMQ is confirmed, the last connection events and activity report are sent, and only then
    // does the bus go.
    const listenersClosed = listeners?.close() ?? Promise.resolve();
    await new Promise<void>((r) => broker.close(() => r()));
    gate.destroyAll();
    // Wall time (not the injected clock, which tests may freeze).
    const deadline = Date.now() + 10_000;
    while (publishes.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await listenersClosed;
    await events.stop();
    await bus.close();
    await pool?.end();
  };
  try {
    listeners = await openListeners(gate, {
      host: config.MQTT_HOST,
      mqttPort: config.MQTT_PORT,
      wsPort: config.MQTT_WS_PORT,
      maxPacketBytes: maxPacketBytes(config.MAX_PAYLOAD_BYTES),
      proxyProtocol: config.MQTT_PROXY_PROTOCOL ?? false,
      connectTimeoutMs: config.MQTT_CONNECT_TIMEOUT_MS ?? 10_000,
      tls: tls && { ...tls, port: config.MQTT_TLS_PORT ?? 8883, wssPort: config.MQTT_WSS_PORT ?? 8884 },
      metrics,
    });
  } catch (err) {
    await closeAll();
    throw err;
  }
  health.register("gateway_bus", () => bus.connected && replicaQueue.ready);
  logger.info(
    {
      mqtt_port: listeners.mqttPort,
      ws_port: listeners.wsPort,
      tls_port: listeners.tlsPort,
      wss_port: listeners.wssPort,
      client_certificates: tls?.ca !== undefined,
      proxy_protocol: config.MQTT_PROXY_PROTOCOL ?? false,
      auth: config.MQTT_AUTH,
      gateway_id: gatewayId,
    },
    "gateway listening",
  );
  return {
    mqttPort: listeners.mqttPort,
    wsPort: listeners.wsPort,
    tlsPort: listeners.tlsPort,
    wssPort: listeners.wssPort,
    gatewayId,
    broker,
    sessions,
    gate,
    stop: closeAll,
  };
}

/** The TLS listeners' files, read once at startup (a missing file stops the gateway with its name). */
function readTlsFiles(config: GatewaySettings): TlsFiles | undefined {
  if (!config.MQTT_TLS_CERT_FILE || !config.MQTT_TLS_KEY_FILE) return undefined;
  return {
    cert: readFileSync(config.MQTT_TLS_CERT_FILE),
    key: readFileSync(config.MQTT_TLS_KEY_FILE),
    ca: config.MQTT_TLS_CA_FILE ? readFileSync(config.MQTT_TLS_CA_FILE) : undefined,
  };
}
