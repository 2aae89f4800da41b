import { randomUUID } from "node:crypto";
import { commandDeliveredSchema } from "@sensorstream/contracts";
import { migrate } from "@sensorstream/db";
import { type Gateway, startGateway } from "@sensorstream/gateway";
import { createRegistry, Health, type Registry, silentLogger } from "@sensorstream/runtime";
import { SensorAdmin, SubscriberAdmin } from "@sensorstream/sensors";
import amqp from "amqplib";
import mqtt, { type MqttClient } from "mqtt";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { createTestDatabase, type TestDatabase, testPool } from "../fixtures/pg.js";
import { metricValue } from "../fixtures/prometheus.js";
import { describeRabbitMq } from "../fixtures/rabbitmq-only.js";
import { waitFor } from "../fixtures/wait.js";
import { publishDirect, securedGatewaySettings } from "./harness.js";

type Replica = { gateway: Gateway; registry: Registry; url: string };
type Got = { topic: string; payload: string; qos: number; retain: boolean };

/** Every MQTT message a client receives, in order. */
const inbox = (c: MqttClient): Got[] => {
  const got: Got[] = [];
  c.on("message", (topic, payload, packet) =>
    got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }),
  );
  return got;
};

const command = (name: string, over: Record<string, unknown> = {}) => ({
  command_id: randomUUID(),
  name,
  args: name === "change_sample_frequency" ? { hz: 5 } : {},
  issued_at: new Date().toISOString(),
  expires_at: new Date(Date.now() + 60_000).toISOString(),
  ...over,
});
const alert = (sensorId: string, alarmId: string) => ({
  alarm_id: alarmId,
  rule_id: "hot",
  sensor_id: sensorId,
  metric: "temp",
  value: 91,
  threshold: 90,
  severity: "critical",
  state: "raised",
  ts: new Date().toISOString(),
});

const outbound = async (r: Replica, kind: string, outcome: string) =>
  metricValue(await r.registry.metrics(), "sensorstream_gateway_outbound_total", { kind, outcome });

describeRabbitMq(
  "gateway outbound: commands and alerts from the bus, on whichever replica holds the connection",
  () => {
    let db: TestDatabase;
    let vhost: TestVhost;
    let pool: pg.Pool;
    let a: Replica;
    let b: Replica;
    /** Every commands.delivered report on the bus. */
    const delivered: Array<{ sensor_id: string; command_id: string; gateway_id: string }> = [];
    let spy: amqp.ChannelModel;
    const gateways: Gateway[] = [];
    const clients: MqttClient[] = [];
    const tokens = new Map<string, string>();
    /** Sensor on-b, connected to replica B and subscribed to its commands. */
    let onB: MqttClient;

    const start = async (): Promise<Replica> => {
      const registry = createRegistry({ defaultMetrics: false });
      const health = new Health();
      const gateway = await startGateway(securedGatewaySettings(vhost.url, db.url), {
        logger: silentLogger(),
        registry,
        health,
      });
      gateways.push(gateway);
      await waitFor(() => health.report().ready, { message: "the gateway never became ready" });
      return { gateway, registry, url: `mqtt://127.0.0.1:${gateway.mqttPort}` };
    };
    const connect = async (url: string, clientId: string, opts: mqtt.IClientOptions) => {
      const c = await mqtt.connectAsync(url, { clientId, reconnectPeriod: 0, connectTimeout: 5_000, ...opts });
      clients.push(c);
      return c;
    };
    const asSensor = (id: string, on: Replica) => connect(on.url, id, { username: id, password: tokens.get(id) ?? "" });
    const send = (sensorId: string, body: { name: string }) =>
      publishDirect(vhost.url, [{ key: `sensor_${sensorId}.commands.${body.name}`, body }]);
    /** Sends a command to a sensor on B and waits for B's report: every earlier bus message was handled by then on B. */
    const sentinel = async (sensorId: string) => {
      const c = command("awake");
      await send(sensorId, c);
      await waitFor(() => delivered.some((d) => d.command_id === c.command_id), {
        message: "the sentinel never arrived",
      });
      return c;
    };

    beforeAll(async () => {
      db = await createTestDatabase("gwout");
      vhost = await createTestVhost("gwout");
      pool = testPool(db.url, 3);
      await migrate(pool, { logger: silentLogger(), timescale: "auto" });
      const admin = new SensorAdmin(pool);
      for (const id of ["on-b", "on-a", "away", "late"]) {
        const r = await admin.create({ id, type: "vibration" });
        if ("token" in r) tokens.set(id, r.token);
      }
      a = await start();
      b = await start();
      spy = await amqp.connect(vhost.url);
      const ch = await spy.createChannel();
      const q = await ch.assertQueue("", { exclusive: true });
      await ch.bindQueue(q.queue, "sensor_streaming", "*.commands.delivered");
      await ch.consume(
        q.queue,
        (m) => m && delivered.push(commandDeliveredSchema.parse(JSON.parse(m.content.toString()))),
        {
          noAck: true,
        },
      );
      onB = await asSensor("on-b", b);
      await onB.subscribeAsync("sensors/on-b/commands/#", { qos: 1 });
    });
    afterAll(async () => {
      for (const c of clients) await c.endAsync(true).catch(() => {});
      for (const g of gateways) await g.stop().catch(() => {});
      await spy?.close().catch(() => {});
      await pool?.end();
      await vhost?.drop();
      await db?.drop();
    });

    it("a command reaches the sensor on replica B exactly once, QoS 1, not retained; only B reports it delivered", async () => {
      const gotB = inbox(onB);
      const onA = await asSensor("on-a", a);
      await onA.subscribeAsync("sensors/on-a/commands/#", { qos: 1 });
      // Another sensor may not even ask for on-b's commands.
      await expect(onA.subscribeAsync("sensors/on-b/commands/#", { qos: 1 })).rejects.toThrow(/Subscribe error/);
      const gotA = inbox(onA);
      // The sensor's own publish on its commands topic reaches no one, not even itself.
      await onB.publishAsync("sensors/on-b/commands/sleep", JSON.stringify(command("sleep")), { qos: 1 });

      const c = command("change_sample_frequency");
      await send("on-b", c);
      const last = await sentinel("on-b");

      expect(gotB).toEqual([
        { topic: "sensors/on-b/commands/change_sample_frequency", payload: JSON.stringify(c), qos: 1, retain: false },
        { topic: "sensors/on-b/commands/awake", payload: JSON.stringify(last), qos: 1, retain: false },
      ]);
      expect(gotA).toEqual([]);
      expect(delivered.map((d) => [d.sensor_id, d.command_id, d.gateway_id])).toEqual([
        ["on-b", c.command_id, b.gateway.gatewayId],
        ["on-b", last.command_id, b.gateway.gatewayId],
      ]);
      // A saw both and had no connection for on-b: nothing delivered, nothing reported.
      await waitFor(async () => (await outbound(a, "command", "not_here")) === 2, { message: "A never handled both" });
      expect(await outbound(a, "command", "delivered")).toBe(0);
      expect(await outbound(b, "command", "delivered")).toBe(2);
    });

    it("a sensor connected nowhere gets nothing and nobody reports it; an expired command is never delivered", async () => {
      const gotB = inbox(onB);
      const before = delivered.length;
      const [notHereA, notHereB] = [await outbound(a, "command", "not_here"), await outbound(b, "command", "not_here")];
      await send("away", command("sleep"));
      const expired = command("sleep", { expires_at: new Date(Date.now() - 1_000).toISOString() });
      await send("on-b", expired);
      const last = await sentinel("on-b");

      expect(delivered.slice(before).map((d) => d.command_id)).toEqual([last.command_id]);
      expect(gotB.map((m) => JSON.parse(m.payload).command_id)).toEqual([last.command_id]);
      expect(await outbound(b, "command", "not_here")).toBe(notHereB + 1);
      expect(await outbound(b, "command", "expired")).toBe(1);
      await waitFor(async () => (await outbound(a, "command", "expired")) === 1, {
        message: "A never saw the expired",
      });
      expect(await outbound(a, "command", "not_here")).toBe(notHereA + 2);
    });

    it("a connection that has not subscribed to its commands yet is not a delivery: no report", async () => {
      const late = await asSensor("late", b);
      const got = inbox(late);
      const before = delivered.length;
      await send("late", command("sleep"));
      await sentinel("on-b");
      expect(delivered.slice(before).map((d) => d.sensor_id)).toEqual(["on-b"]);
      // Once subscribed, the command service's resend is delivered.
      await late.subscribeAsync("sensors/late/commands/#", { qos: 1 });
      const again = command("sleep");
      await send("late", again);
      await waitFor(() => got.length === 1, { message: "the resend never arrived" });
      expect(JSON.parse(got[0]?.payload ?? "").command_id).toBe(again.command_id);
    });

    it("an alert reaches the alerts/# subscribers on both replicas once, QoS 1, not retained", async () => {
      const subscribers = new SubscriberAdmin(pool);
      const cred = await subscribers.create("dash", ["alerts/#"]);
      if ("conflict" in cred) throw new Error("conflict");
      const opts = { username: cred.username, password: cred.token };
      const dashA = await connect(a.url, `${cred.username}:a`, opts);
      const dashB = await connect(b.url, `${cred.username}:b`, opts);
      await dashA.subscribeAsync("alerts/#", { qos: 1 });
      await dashB.subscribeAsync("alerts/#", { qos: 1 });
      const [gotA, gotB] = [inbox(dashA), inbox(dashB)];
      // A subscriber cannot raise an alert itself.
      await dashA.publishAsync("alerts/on-b", JSON.stringify(alert("on-b", "forged")), { qos: 1 });

      const first = alert("on-b", "one");
      const second = alert("on-a", "two");
      await publishDirect(vhost.url, [
        { key: "sensor_on-b.alarms.trigger", body: first },
        { key: "sensor_on-a.alarms.trigger", body: second },
      ]);
      await waitFor(() => gotA.length >= 2 && gotB.length >= 2, { message: "the alerts never arrived on both" });
      const expected = [
        { topic: "alerts/on-b", payload: JSON.stringify(first), qos: 1, retain: false },
        { topic: "alerts/on-a", payload: JSON.stringify(second), qos: 1, retain: false },
      ];
      expect(gotA).toEqual(expected);
      expect(gotB).toEqual(expected);
    });

    it("invalid outbound messages are counted and dropped; the replicas keep delivering", async () => {
      const before = delivered.length;
      await publishDirect(vhost.url, [
        { key: "sensor_on-b.commands.sleep", body: "{not json" },
        { key: "sensor_on-b.commands.sleep", body: command("awake") },
        { key: "sensor_on-b.alarms.trigger", body: alert("on-a", "wrong-sensor") },
      ]);
      await sentinel("on-b");
      expect(delivered.slice(before)).toHaveLength(1);
      for (const r of [a, b]) {
        await waitFor(async () => (await outbound(r, "command", "invalid")) === 2, { message: "invalid commands" });
        expect(await outbound(r, "alert", "invalid")).toBe(1);
      }
    });
  },
);
