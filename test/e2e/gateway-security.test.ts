import net from "node:net";
import { busRevocations, registerApi } from "@sensorstream/api";
import { DEAD_LETTER_HEADERS } from "@sensorstream/bus";
import { CREDENTIALS_REVOKED_ROUTING_KEY } from "@sensorstream/contracts";
import { migrate } from "@sensorstream/db";
import { type Gateway, type GatewaySettings, startGateway } from "@sensorstream/gateway";
import { createHttpServer, createRegistry, Health, type Registry, silentLogger } from "@sensorstream/runtime";
import { SensorAdmin, SubscriberAdmin } from "@sensorstream/sensors";
import amqp from "amqplib";
import mqtt, { type MqttClient } from "mqtt";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestVhost, type QueuedMessage, type TestVhost } from "../fixtures/amqp.js";
import { createTestDatabase, type TestDatabase, testPool } from "../fixtures/pg.js";
import { metricValue } from "../fixtures/prometheus.js";
import { describeRabbitMq } from "../fixtures/rabbitmq-only.js";
import { waitFor } from "../fixtures/wait.js";
import { securedGatewaySettings } from "./harness.js";

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

const API_TOKEN = "test-api-token-0123456789";

const refusals = async (r: Registry, action: string) =>
  metricValue(await r.metrics(), "sensorstream_gateway_refused_total", { action });

/** Every MQTT message a client receives, in order. */
const inbox = (c: MqttClient) => {
  const got: Array<{ topic: string; payload: string; retain: boolean }> = [];
  c.on("message", (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return got;
};

describeRabbitMq("gateway security: isolation, identity, limits, revocation", () => {
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

  const settings = (over: Partial<GatewaySettings> = {}) => securedGatewaySettings(vhost.url, db.url, over);
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
    pool = testPool(db.url, 3);
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

  it("ties the client id to the login: another sensor's id is refused, the victim stays connected, its Last Will still counts", async () => {
    const victim = await asSensor("victim", {
      will: { topic: "sensors/victim/status", payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true },
    });
    let victimClosed = false;
    victim.on("close", () => {
      victimClosed = true;
    });
    const asEvil = { username: "evil", password: tokens.get("evil") ?? "" };
    await expect(connect(main.url, "victim", asEvil)).rejects.toThrow(/Identifier rejected/);
    await expect(connect(main.url, "victim", { ...asEvil, clean: false })).rejects.toThrow(/Identifier rejected/);
    // Failed attempts with the victim's id (wrong token too) leave nothing behind ...
    await expect(connect(main.url, "victim", { username: "victim", password: "wrong" })).rejects.toThrow(
      /Bad username/,
    );
    expect(main.gateway.sessions.of("sensor", "victim")).toHaveLength(1);
    expect(victim.connected && !victimClosed).toBe(true);
    const text = await main.registry.metrics();
    expect(metricValue(text, "sensorstream_gateway_connects_total", { outcome: "client_id_mismatch" })).toBe(2);

    // ... so the victim's Last Will is not mistaken for a stale one, and it carries the connection's stamp.
    const before = spy.messages.length;
    (victim.stream as net.Socket).destroy();
    const will = await waitFor(() => spy.messages.slice(before).find((m) => m.routingKey === "sensor_victim.status"), {
      message: "the victim's Last Will never reached the bus",
    });
    const connection = spy.messages
      .filter((m) => m.routingKey === "sensor_victim.connection")
      .map((m) => JSON.parse(m.content.toString()));
    const body = JSON.parse(will.content.toString());
    expect(body.status.state).toBe("offline");
    const opened = connection.filter((e) => e.connected);
    expect(body.connected_at).toBe(opened.at(-1)?.connected_at);
    expect(opened.at(-1)?.received_at).toBe(opened.at(-1)?.connected_at);
    await waitFor(() => spy.messages.slice(before).some((m) => m.routingKey === "sensor_victim.connection"), {
      message: "no disconnect event",
    });
    const closed = spy.messages
      .slice(before)
      .filter((m) => m.routingKey === "sensor_victim.connection")
      .map((m) => JSON.parse(m.content.toString()));
    expect(closed.at(-1)).toMatchObject({ connected: false, connected_at: body.connected_at });
  });

  it("refuses oversized packets from their fixed header, caps pending connects, and forgets failed attempts", async () => {
    const limited = await start({
      MQTT_MAX_PENDING_CONNECTS: 3,
      MQTT_CONNECT_TIMEOUT_MS: 300,
      MQTT_MAX_CONNECTIONS: 1,
    });
    const port = limited.gateway.mqttPort;
    const open = (): Promise<net.Socket> =>
      new Promise((resolve) => {
        const s = net.connect({ port, host: "127.0.0.1" }, () => resolve(s));
        s.on("error", () => {});
      });
    const closed = (s: net.Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once("close", () => r())));

    // A CONNECT announcing 256 MB: closed after its first five bytes, nothing buffered.
    const huge = await open();
    huge.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
    await closed(huge);
    // Silent sockets fill the pending slots; the next one is closed at once; the connect timeout ends the rest.
    const silent = [await open(), await open(), await open()];
    await waitFor(() => limited.gateway.gate.pending === 3, { message: "three pending connections" });
    const extra = await open();
    await closed(extra);
    await Promise.all(silent.map(closed));
    await waitFor(() => limited.gateway.gate.open === 0, { message: "the gate still holds sockets" });

    // Failed logins with long client ids leave no state behind.
    for (let i = 0; i < 20; i++) {
      await expect(
        connect(limited.url, `victim${"x".repeat(200)}${i}`, { username: "victim", password: "wrong" }),
      ).rejects.toThrow(/Bad username/);
    }
    expect(limited.gateway.sessions.principals).toBe(0);
    expect(limited.gateway.broker.connectedClients).toBe(0);
    await waitFor(() => limited.gateway.gate.open === 0 && limited.gateway.gate.pending === 0, {
      message: "sockets of failed logins remain",
    });

    // The connection cap answers CONNACK 3 (server unavailable) rather than a bare close.
    await asSensor("limit-1", {}, limited.url);
    await expect(
      connect(limited.url, "evil", { username: "evil", password: tokens.get("evil") ?? "" }),
    ).rejects.toThrow(/Server unavailable/);
    const text = await limited.registry.metrics();
    expect(metricValue(text, "sensorstream_gateway_dropped_connections_total", { reason: "packet_too_large" })).toBe(1);
    expect(metricValue(text, "sensorstream_gateway_dropped_connections_total", { reason: "too_many_pending" })).toBe(1);
    expect(metricValue(text, "sensorstream_gateway_connects_total", { outcome: "too_many_connections" })).toBe(1);
    expect(metricValue(text, "sensorstream_gateway_connects_total", { outcome: "bad_credentials" })).toBe(20);
  });

  it("answers a rate-limited connect with CONNACK 3", async () => {
    const frozen = Date.UTC(2026, 10, 23, 8);
    const limited = await start({ MQTT_CONNECT_RATE: 1 }, () => frozen);
    const asEvil = { username: "evil", password: tokens.get("evil") ?? "" };
    for (let i = 0; i < 2; i++) await (await connect(limited.url, "evil", asEvil)).endAsync();
    await expect(connect(limited.url, "evil", asEvil)).rejects.toThrow(/Server unavailable/);
    const text = await limited.registry.metrics();
    expect(metricValue(text, "sensorstream_gateway_connects_total", { outcome: "rate_limited" })).toBe(1);
  });

  it("revocation ends the old sessions on every replica within seconds; a new token works at once", async () => {
    const second = await start();
    const onFirst = await asSensor("rot");
    const onSecond = await asSensor("rot", {}, second.url);
    const watcher = await subscribers.create("revoked-dash", ["alerts/#"]);
    if ("conflict" in watcher) throw new Error("conflict");
    const dash = await connect(second.url, watcher.username, { username: watcher.username, password: watcher.token });
    const gone = await asSensor("gone", {
      will: { topic: "sensors/gone/status", payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: false },
    });

    // Through the API, as an operator would: each change is committed, then every gateway is told.
    const revocations = await busRevocations({ url: vhost.url, logger: silentLogger(), registry: createRegistry() });
    const api = createHttpServer({ registry: createRegistry(), health: new Health() });
    await registerApi(api, {
      pool,
      amqpUrl: vhost.url,
      logger: silentLogger(),
      registry: createRegistry(),
      auth: { token: API_TOKEN, readAccess: "token" },
      revocations,
    });
    const call = async (method: "POST" | "DELETE", url: string) => {
      const r = await api.inject({ method, url, headers: { authorization: `Bearer ${API_TOKEN}` } });
      // 202: a delete with its data is purged asynchronously by the data owners.
      expect([200, 202], r.body).toContain(r.statusCode);
      return r.json() as { token?: string };
    };
    const before = spy.messages.length;
    const newToken = (await call("POST", "/api/sensors/rot/token")).token;
    await call("DELETE", "/api/sensors/gone?with_data=true");
    await call("DELETE", "/api/subscribers/revoked-dash");
    await waitFor(() => !onFirst.connected && !onSecond.connected && !dash.connected && !gone.connected, {
      message: () =>
        `still connected: ${JSON.stringify({ first: onFirst.connected, second: onSecond.connected, dash: dash.connected, gone: gone.connected })}`,
    });
    await revocations.close();
    await api.close();
    expect(spy.messages.slice(before).filter((m) => m.routingKey === CREDENTIALS_REVOKED_ROUTING_KEY)).toHaveLength(3);
    // The new token works at once on both replicas, though both had the old credential cached.
    tokens.set("rot", newToken ?? "");
    expect((await asSensor("rot")).connected).toBe(true);
    expect((await asSensor("rot", {}, second.url)).connected).toBe(true);
    await expect(asSensor("gone")).rejects.toThrow(/Bad username/);
    await expect(
      connect(main.url, watcher.username, { username: watcher.username, password: watcher.token }),
    ).rejects.toThrow(/Bad username/);
    // The deleted sensor's old session published nothing after it was ended: not even its Last Will. (The API's
    // sensor_gone.deleted, for the owners of its data, is the platform's own message.)
    const fromGone = spy.messages.slice(before).filter((m) => m.routingKey.startsWith("sensor_gone."));
    expect(fromGone.filter((m) => !/\.(connection|deleted)$/.test(m.routingKey))).toEqual([]);
    expect(fromGone.filter((m) => m.routingKey === "sensor_gone.deleted")).toHaveLength(1);
    const text = await second.registry.metrics();
    expect(metricValue(text, "sensorstream_gateway_revocations_total", { outcome: "closed" })).toBe(2);
  });
});
