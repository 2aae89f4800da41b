import { randomUUID } from "node:crypto";
import { BusConnection, ConfirmPublisher, DeadLetterPublisher, declareTopology, QUEUES } from "@sensorstream/bus";
import { EXCHANGE } from "@sensorstream/contracts";
import { createPool, type Pool } from "@sensorstream/db";
import type { Health, Logger, Registry } from "@sensorstream/runtime";
import { Aedes, type Client, type PublishPacket } from "aedes";
import { identityOf, installAuth } from "./adapters/auth-hooks.js";
import { CredentialDirectory } from "./adapters/directory.js";
import { GatewayEvents } from "./adapters/gateway-events.js";
import { gatewayMetrics } from "./adapters/metrics.js";
import { openListeners } from "./adapters/mqtt-listeners.js";
import type { GatewayConfig } from "./config.js";
import { sensorOf } from "./core/access.js";
import { ActivityTracker } from "./core/activity.js";
import { decide } from "./core/bridge.js";

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
>;
export type GatewayDeps = {
  logger: Logger;
  registry: Registry;
  health: Health;
  clock?: () => number;
  newId?: () => string;
};
export type Gateway = { mqttPort: number; wsPort: number | undefined; broker: Aedes; stop(): Promise<void> };

/** The queues the gateway publishes into: every device kind has a durable home before its consumer exists. */
const GATEWAY_QUEUES = [QUEUES.measurements, QUEUES.logs, QUEUES.registry, QUEUES.commandAcks];

/**
 * MQTT in, RabbitMQ out. A device publish is acknowledged (PUBACK) only after RabbitMQ confirmed
 * it into its queues: the bridge runs in aedes' authorizePublish hook, which precedes the PUBACK.
 */
export async function startGateway(config: GatewaySettings, deps: GatewayDeps): Promise<Gateway> {
  const { logger, registry, health } = deps;
  const clock = deps.clock ?? Date.now;
  const newId = deps.newId ?? randomUUID;
  const metrics = gatewayMetrics(registry);
  if (config.MQTT_AUTH === "open") {
    logger.warn("MQTT_AUTH=open: ANY client may connect and publish as any sensor. Use it only on a trusted network.");
  }
  const pool: Pool | undefined =
    config.MQTT_AUTH === "required"
      ? createPool({ url: config.DATABASE_URL, logger, max: 2, applicationName: "gateway" })
      : undefined;
  const directory = pool ? new CredentialDirectory(pool, config.CREDENTIAL_CACHE_MS, clock) : undefined;

  const bus = new BusConnection({ url: config.AMQP_URL, name: "gateway", logger, registry });
  await bus.addSetup(async (conn) => {
    const ch = await conn.createChannel();
    await declareTopology(ch, GATEWAY_QUEUES);
    await ch.close();
  });
  const publisher = new ConfirmPublisher(bus, {
    exchange: EXCHANGE,
    logger,
    registry,
    waitForConnectionMs: config.BUS_WAIT_MS,
  });
  await publisher.attach();
  const deadLetters = new DeadLetterPublisher(publisher, registry);
  bus.start();

  const activity = new ActivityTracker();
  const gatewayId = `gateway-${newId().slice(0, 8)}`;
  const events = new GatewayEvents({
    gatewayId,
    publisher,
    activity,
    intervalMs: config.ACTIVITY_INTERVAL_MS,
    logger,
    metrics,
    clock,
  });
  /** Client ids with a CONNECT in progress: a Last Will published meanwhile belongs to the session being replaced. */
  const connecting = new Map<string, number>();

  let inFlight = 0;
  const bridge = async (client: Client | null, packet: PublishPacket): Promise<void> => {
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    metrics.bytes.inc(payload.byteLength);
    const msgId = newId();
    const identity = identityOf(client);
    const receivedUs = clock() * 1000;
    const isWill = client !== null && packet === (client as unknown as { will?: unknown }).will;
    if (client && isWill && connecting.has(client.id)) {
      // Session takeover: the sensor is already reconnecting, so "offline" would be wrong. Dropped.
      metrics.rejected.inc({ reason: "stale_will" });
      packet.retain = false;
      return;
    }
    const d = decide({
      identity,
      topic: packet.topic,
      payload,
      msgId,
      receivedUs,
      maxPayloadBytes: config.MAX_PAYLOAD_BYTES,
    });
    if (d.action === "publish") {
      await publisher.publish(d.routingKey, d.body, { messageId: msgId });
      metrics.messages.inc({ kind: d.kind, outcome: "ok" });
      if (d.kind === "data") metrics.readings.inc(d.readings);
      // Heard from at receive time (not confirm time); a Last Will is the broker speaking for a dead client.
      if (!isWill) activity.touch(d.sensorId, receivedUs, d.position);
      return;
    }
    // Refused input is acknowledged to the device once its dead letter is durable: retrying it cannot help.
    await deadLetters.publish({
      reason: d.reason,
      error: d.error,
      source: "gateway",
      body: d.body,
      messageId: msgId,
      routingKey: d.routingKey,
      topic: packet.topic,
      originalBytes: d.originalBytes,
      ...(d.sensorId === undefined ? {} : { sensorId: d.sensorId }),
    });
    packet.retain = false;
    metrics.rejected.inc({ reason: d.reason });
    metrics.messages.inc({ kind: d.kind ?? "unknown", outcome: "invalid" });
    if (d.reason === "not_authorized") metrics.refused.inc({ action: "publish" });
    logger.warn(
      {
        sensor_id: d.sensorId,
        client_id: client?.id,
        topic: packet.topic.slice(0, 200),
        reason: d.reason,
        error: d.error,
      },
      "refused device publish",
    );
  };

  const broker = new Aedes({
    drainTimeout: 30_000,
    maxTopicLevels: 8,
    authorizePublish(client, packet, callback) {
      if (packet.topic.startsWith("$")) {
        metrics.rejected.inc({ reason: "invalid_topic" });
        return callback(new Error(`${packet.topic.slice(0, 40)}: topics starting with $ are reserved`));
      }
      const end = metrics.bridgeSeconds.startTimer();
      inFlight++;
      bridge(client, packet).then(
        () => {
          inFlight--;
          end();
          callback(null);
        },
        (err: Error) => {
          inFlight--;
          metrics.messages.inc({ kind: "unknown", outcome: "transient" });
          logger.warn(
            { err, client_id: client?.id, topic: packet.topic.slice(0, 200) },
            "cannot hand the publish to RabbitMQ; disconnecting the client without PUBACK so it retries",
          );
          callback(err);
        },
      );
    },
  });
  installAuth(broker, {
    mode: config.MQTT_AUTH,
    directory,
    maxConnections: config.MQTT_MAX_CONNECTIONS,
    connectRatePerIp: config.MQTT_CONNECT_RATE,
    logger,
    metrics,
    clock,
  });
  const preConnect = broker.preConnect;
  broker.preConnect = (client, packet, callback) => {
    connecting.set(packet.clientId, clock());
    preConnect(client, packet, (err, ok) => {
      if (err || !ok) connecting.delete(packet.clientId);
      callback(err, ok);
    });
  };
  await broker.listen();
  broker.on("client", (client) => {
    connecting.delete(client.id);
    metrics.clients.inc();
    const sensorId = sensorOf(identityOf(client) ?? { kind: "anonymous", sensorId: undefined });
    if (sensorId) {
      activity.touch(sensorId, clock() * 1000);
      events.connection(sensorId, client.id, true, false);
    }
  });
  broker.on("clientDisconnect", (client) => {
    metrics.clients.dec();
    const sensorId = sensorOf(identityOf(client) ?? { kind: "anonymous", sensorId: undefined });
    // A clean DISCONNECT publishes no Last Will; the registry learns of it from this event.
    const clean = (client as unknown as { _disconnected?: boolean })._disconnected === true;
    if (sensorId) events.connection(sensorId, client.id, false, clean);
  });
  broker.on("connectionError", (client) => connecting.delete(client.id));
  broker.on("clientError", (client, err) => logger.debug({ client_id: client.id, err }, "MQTT client error"));
  events.start();

  let listeners: Awaited<ReturnType<typeof openListeners>>;
  try {
    listeners = await openListeners(broker, {
      host: config.MQTT_HOST,
      mqttPort: config.MQTT_PORT,
      wsPort: config.MQTT_WS_PORT,
      maxPayloadBytes: config.MAX_PAYLOAD_BYTES,
    });
  } catch (err) {
    await events.stop();
    await new Promise<void>((r) => broker.close(() => r()));
    await bus.close();
    await pool?.end();
    throw err;
  }
  health.register("gateway_bus", () => publisher.ready);
  logger.info(
    { mqtt_port: listeners.mqttPort, ws_port: listeners.wsPort, auth: config.MQTT_AUTH },
    "gateway listening",
  );

  return {
    mqttPort: listeners.mqttPort,
    wsPort: listeners.wsPort,
    broker,
    async stop() {
      await listeners.close();
      // Let publishes already handed to RabbitMQ finish, so their devices get a PUBACK.
      const deadline = clock() + 10_000;
      while (inFlight > 0 && clock() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise<void>((r) => broker.close(() => r()));
      await events.stop();
      await bus.close();
      await pool?.end();
    },
  };
}
