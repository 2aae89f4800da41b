import type net from "node:net";
import { DEAD_LETTER_HEADERS } from "@sensorstream/bus";
import { migrate } from "@sensorstream/db";
import { type Gateway, type GatewaySettings, startGateway } from "@sensorstream/gateway";
import { SensorAdmin, SubscriberAdmin } from "@sensorstream/registry";
import { createRegistry, Health, type Registry, silentLogger } from "@sensorstream/runtime";
import amqp from "amqplib";
import mqtt, { type MqttClient } from "mqtt";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost, type QueuedMessage, type TestVhost } from "../fixtures/amqp.js";
import { createTestDatabase, type TestDatabase } from "../fixtures/pg.js";
import { metricValue } from "../fixtures/prometheus.js";
import { waitFor } from "../fixtures/wait.js";

/** Everything published on the main exchange, as seen by a queue bound to "#". */
type BusSpy = { messages: QueuedMessage[]; close(): Promise<void> };

async function spyOnBus(url: string): Promise<BusSpy> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.assertExchange("sensor_streaming", "topic", { durable: true });
  const q = await ch.assertQueue("", { exclusive: true });
  await ch.bindQueue(q.queue, "sensor_streaming", "#");
  const messages: QueuedMessage[] = [];
  await ch.consume(
    q.queue,
    (m) => {
      if (m) messages.push({ content: m.content, routingKey: m.fields.routingKey, headers: {} });
    },
    { noAck: true },
  );
  return { messages, close: () => conn.close() };
}

const refusals = async (r: Registry, action: string) =>
  metricValue(await r.metrics(), "sensorstream_gateway_refused_total", { action });

/** Every MQTT message a client receives, in order. */
const inbox = (c: MqttClient) => {
  const got: Array<{ topic: string; payload: string; retain: boolean }> = [];
  c.on("message", (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return got;
};

describe("gateway security: isolation, identity, limits, revocation", () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let pool: pg.Pool;
  let spy: BusSpy;
  let admin: SensorAdmin;
  let subscribers: SubscriberAdmin;
  const gateways: Gateway[] = [];
  const clients: MqttClient[] = [];
  const tokens = new Map<string, string>();
  let main: { gateway: Gateway; registry: Registry; url: string };

  const settings = (over: Partial<GatewaySettings> = {}): GatewaySettings => ({
    AMQP_URL: vhost.url,
    DATABASE_URL: db.url,
    MQTT_AUTH: "required",
    MQTT_HOST: "127.0.0.1",
    MQTT_PORT: 0,
    MQTT_WS_PORT: 0,
    MAX_PAYLOAD_BYTES: 65536,
    MQTT_MAX_CONNECTIONS: 100,
    MQTT_CONNECT_RATE: 1000,
    BUS_WAIT_MS: 2000,
    ACTIVITY_INTERVAL_MS: 200,
    // A long cache: revocation and new tokens must work without waiting for it.
    CREDENTIAL_CACHE_MS: 60_000,
    ...over,
  });
  const start = async (over: Partial<GatewaySettings> = {}, clock?: () => number) => {
    const registry = createRegistry({ defaultMetrics: false });
    const health = new Health();
    const gateway = await startGateway(settings(over), {
      logger: silentLogger(),
      registry,
      health,
      ...(clock ? { clock } : {}),
    });
    gateways.push(gateway);
    await waitFor(() => health.report().ready, { message: "the gateway never became ready" });
    return { gateway, registry, url: `mqtt://127.0.0.1:${gateway.mqttPort}` };
  };
  const connect = (url: string, clientId: string, opts: mqtt.IClientOptions = {}) =>
    mqtt.connectAsync(url, { clientId, reconnectPeriod: 0, connectTimeout: 5_000, ...opts }).then((c) => {
      clients.push(c);
      return c;
    });
  const asSensor = (id: string, opts: mqtt.IClientOptions = {}, url = main.url) =>
    connect(url, id, { username: id, password: tokens.get(id) ?? "", ...opts });
  const provision = async (id: string) => {
    const r = await admin.create({ id, type: "vibration" });
    if ("token" in r) tokens.set(id, r.token);
  };
  const deadLetters = async () => {
    const all = await vhost.readQueue("dead_letters");
    return all.map((m) => ({
      reason: m.headers[DEAD_LETTER_HEADERS.reason],
      topic: m.headers[DEAD_LETTER_HEADERS.topic],
    }));
  };

  beforeAll(async () => {
    db = await createTestDatabase("gwsec");
    vhost = await createTestVhost("gwsec");
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    await migrate(pool, { logger: silentLogger(), timescale: "auto" });
    admin = new SensorAdmin(pool);
    subscribers = new SubscriberAdmin(pool);
    for (const id of ["evil", "victim", "rot", "gone", "limit-1"]) await provision(id);
    main = await start();
    spy = await spyOnBus(vhost.url);
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    for (const g of gateways) await g.stop().catch(() => {});
    await spy?.close().catch(() => {});
    await pool?.end();
    await vhost?.drop();
    await db?.drop();
  });

  it("a refused publish or Last Will reaches no one: no MQTT subscriber at any QoS, no retained copy, no bus queue", async () => {
    const victim = await asSensor("victim");
    await victim.subscribeAsync("sensors/victim/commands/#", { qos: 2 });
    const victimGot = inbox(victim);
    const watcherCred = await subscribers.create("watcher", ["#"]);
    if ("conflict" in watcherCred) throw new Error("conflict");
    const watcher = await connect(main.url, watcherCred.username, {
      username: watcherCred.username,
      password: watcherCred.token,
    });
    await watcher.subscribeAsync(["sensors/#", "alerts/#"], { qos: 2 });
    const watcherGot = inbox(watcher);
    const before = spy.messages.length;

    const evil = await asSensor("evil");
    for (const qos of [0, 1, 2] as const) await evil.publishAsync("sensors/victim/commands/sleep", "{}", { qos });
    await evil.publishAsync("alerts/victim", '{"state":"raised"}', { qos: 1, retain: true });
    await evil.publishAsync("sensors/evil/commands/sleep", "{}", { qos: 1 });
    await watcher.publishAsync("sensors/victim/commands/sleep", "{}", { qos: 1 });
    // A Last Will aimed at the victim's commands, fired by killing the connection.
    const willer = await connect(main.url, "evil", {
      username: "evil",
      password: tokens.get("evil") ?? "",
      will: { topic: "sensors/victim/commands/sleep", payload: Buffer.from("{}"), qos: 1, retain: true },
    });
    (willer.stream as net.Socket).destroy();
    await waitFor(async () => (await refusals(main.registry, "will")) === 1, {
      message: "the Last Will was never refused",
    });

    // The platform's own publish is delivered after anything queued before it: once it arrives, nothing refused came.
    main.gateway.broker.publish(
      {
        cmd: "publish",
        topic: "sensors/victim/commands/sleep",
        payload: Buffer.from("sentinel"),
        qos: 1,
        dup: false,
        retain: false,
      },
      () => {},
    );
    await waitFor(() => victimGot.length > 0 && watcherGot.some((m) => m.payload === "sentinel"), {
      message: "the sentinel never arrived",
    });
    expect(victimGot).toEqual([{ topic: "sensors/victim/commands/sleep", payload: "sentinel", retain: false }]);
    expect(watcherGot.filter((m) => m.topic.includes("commands") || m.topic.startsWith("alerts"))).toEqual([
      { topic: "sensors/victim/commands/sleep", payload: "sentinel", retain: false },
    ]);

    // No retained copy either: a new subscriber gets nothing but the next sentinel.
    const late = await connect(main.url, `${watcherCred.username}:late`, {
      username: watcherCred.username,
      password: watcherCred.token,
    });
    const lateGot = inbox(late);
    await late.subscribeAsync(["sensors/victim/commands/#", "alerts/#"], { qos: 1 });
    main.gateway.broker.publish(
      { cmd: "publish", topic: "alerts/victim", payload: Buffer.from("sentinel-2"), qos: 1, dup: false, retain: false },
      () => {},
    );
    await waitFor(() => lateGot.length > 0, { message: "the second sentinel never arrived" });
    expect(lateGot.map((m) => m.payload)).toEqual(["sentinel-2"]);

    // On the bus: dead letters (on their own exchange) and nothing else of the attacks.
    const attacks = spy.messages
      .slice(before)
      .filter((m) => !m.routingKey.endsWith(".connection") && m.routingKey !== "gateway.activity");
    expect(attacks.map((m) => m.routingKey)).toEqual([]);
    const refused = (await deadLetters()).filter((d) => d.reason === "not_authorized");
    expect(refused.map((d) => d.topic).sort()).toEqual(
      [
        "alerts/victim",
        "sensors/evil/commands/sleep",
        "sensors/victim/commands/sleep",
        "sensors/victim/commands/sleep",
        "sensors/victim/commands/sleep",
        "sensors/victim/commands/sleep",
        "sensors/victim/commands/sleep",
      ].sort(),
    );
    const text = await main.registry.metrics();
    expect(metricValue(text, "sensorstream_gateway_refused_total", { action: "publish" })).toBe(6);
    expect(victim.connected && watcher.connected).toBe(true);
    await victim.endAsync();
  });
});
