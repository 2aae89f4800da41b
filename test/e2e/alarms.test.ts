import { setTimeout as sleep } from "node:timers/promises";
import { type AlarmService, alarmService } from "@sensorstream/alarm";
import { AlarmAdmin, ruleInputSchema } from "@sensorstream/alarms";
import type { Alert } from "@sensorstream/contracts";
import { migrate } from "@sensorstream/db";
import { type Gateway, gatewayService } from "@sensorstream/gateway";
import { silentLogger } from "@sensorstream/runtime";
import { SensorAdmin, SubscriberAdmin } from "@sensorstream/sensors";
import mqtt, { type MqttClient } from "mqtt";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { createTestDatabase, type TestDatabase } from "../fixtures/pg.js";
import { metricValue } from "../fixtures/prometheus.js";
import { type StartedService, startService } from "../fixtures/services.js";
import { waitFor } from "../fixtures/wait.js";
import { gatewayEnv } from "./harness.js";

type Got = { topic: string; alert: Alert; qos: number };

/**
 * The alarm service between two real gateway replicas: sensors publish on replica A, read-only subscribers with
 * `alerts/#` listen on A and B. Reading times are explicit (`ts`), so for_s and hysteresis are decided by them.
 */
describe("alarms end to end: rules on real readings, alerts to MQTT subscribers on any replica", () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let pool: pg.Pool;
  let admin: AlarmAdmin;
  let sensors: SensorAdmin;
  const gateways: StartedService<Gateway>[] = [];
  let alarm: StartedService<AlarmService>;
  const clients: MqttClient[] = [];
  const onA: Got[] = [];
  const onB: Got[] = [];
  const conns = new Map<string, MqttClient>();
  /** Reading times: an hour ago, one second per step (the evaluation is by reading time, not arrival). */
  const T0 = Date.now() - 3_600_000;
  let sentinelRule = "";
  const marks = new Map<string, number>();

  const alarmEnv = () => ({
    AMQP_URL: vhost.url,
    DATABASE_URL: db.url,
    DB_POOL_SIZE: "3",
    PREFETCH: "500",
    BATCH_MAX_ROWS: "500",
    BATCH_FLUSH_MS: "20",
    ALARM_RULES_POLL_MS: "200",
    ALARM_NO_DATA_CHECK_S: "3600",
  });
  const mqttUrl = (g: StartedService<Gateway>) => `mqtt://127.0.0.1:${g.service.mqttPort}`;
  const subscriber = async (
    g: StartedService<Gateway>,
    clientId: string,
    into: Got[],
    cred: { u: string; p: string },
  ) => {
    const c = await mqtt.connectAsync(mqttUrl(g), {
      clientId,
      username: cred.u,
      password: cred.p,
      reconnectPeriod: 0,
    });
    clients.push(c);
    c.on("message", (topic, payload, packet) =>
      into.push({ topic, alert: JSON.parse(payload.toString()), qos: packet.qos }),
    );
    await c.subscribeAsync("alerts/#", { qos: 1 });
  };
  const sensor = async (id: string) => {
    const r = await sensors.create({ id, type: "pump" });
    if (!("token" in r)) throw new Error(`sensor ${id} exists`);
    const [a] = gateways;
    if (!a) throw new Error("no gateway");
    const c = await mqtt.connectAsync(mqttUrl(a), {
      clientId: id,
      username: id,
      password: r.token,
      reconnectPeriod: 0,
    });
    clients.push(c);
    conns.set(id, c);
  };
  /** Publishes readings (QoS 1: PUBACK means RabbitMQ has them) at T0 + t seconds. */
  const send = async (id: string, ...readings: [t: number, values: Record<string, number>][]) => {
    const c = conns.get(id);
    if (!c) throw new Error(`no connection for ${id}`);
    for (const [t, values] of readings) {
      await c.publishAsync(`sensors/${id}/data`, JSON.stringify({ ts: T0 + t * 1000, values }), { qos: 1 });
    }
  };
  const temp = (id: string, ...pairs: [t: number, v: number][]) =>
    send(id, ...pairs.map(([t, v]): [number, Record<string, number>] => [t, { temp_c: v }]));
  /**
   * A sentinel from the same sensor: a reading that toggles the sentinel rule. Once its alert reached both
   * subscribers, every alert caused by the sensor's earlier readings has too (one connection, one queue, one
   * outbox in id order, one gateway queue per replica).
   */
  const sentinel = async (id: string) => {
    const n = (marks.get(id) ?? 0) + 1;
    marks.set(id, n);
    await send(id, [n, { mark: n % 2 }]);
    const state = n % 2 ? "raised" : "cleared";
    const seen = (got: Got[]) =>
      got.filter((g) => g.alert.rule_id === sentinelRule && g.alert.sensor_id === id && g.alert.state === state)
        .length >= Math.ceil(n / 2);
    await waitFor(() => seen(onA) && seen(onB), { message: `sentinel ${n} of ${id} never arrived`, timeoutMs: 20_000 });
  };
  const alertsOf = (got: Got[], ruleId: string) =>
    got.filter((g) => g.alert.rule_id === ruleId).map((g) => [g.alert.state, g.alert.value, g.alert.threshold]);
  const rule = async (body: Record<string, unknown>) => {
    const r = await admin.createRule(ruleInputSchema.parse(body));
    // Every replica polls the rules every 200 ms; a sentinel after this would race the poll, so wait for it.
    await waitFor(
      async () =>
        metricValue(await alarm.registry.metrics(), "sensorstream_alarms_rules") ===
        (await pool.query("SELECT count(*)::int AS n FROM alarm_rules WHERE enabled")).rows[0].n,
      { message: "the alarm service never loaded the rule" },
    );
    return r.rule_id;
  };
  const openAlarms = async (ruleId: string) =>
    (await pool.query("SELECT alarm_id, sensor_id, state FROM alarms WHERE rule_id = $1 ORDER BY raised_at", [ruleId]))
      .rows;

  beforeAll(async () => {
    db = await createTestDatabase("alarms_e2e");
    vhost = await createTestVhost("alarms_e2e");
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    // Teardown's DROP DATABASE … WITH (FORCE) may terminate a connection while it closes: not a test failure.
    pool.on("error", () => {});
    await migrate(pool, { logger: silentLogger(), timescale: "auto" });
    admin = new AlarmAdmin(pool);
    sensors = new SensorAdmin(pool);
    alarm = await startService(alarmService, alarmEnv());
    for (let i = 0; i < 2; i++) {
      const env = { ...(await gatewayEnv(vhost.url, db.url)), MQTT_AUTH: "required" };
      gateways.push(await startService(gatewayService, env));
    }
    const cred = await new SubscriberAdmin(pool).create("alarm-watch", ["alerts/#"]);
    if ("conflict" in cred) throw new Error("subscriber exists");
    const [a, b] = gateways as [StartedService<Gateway>, StartedService<Gateway>];
    await subscriber(a, `${cred.username}:a`, onA, { u: cred.username, p: cred.token });
    await subscriber(b, `${cred.username}:b`, onB, { u: cred.username, p: cred.token });
    sentinelRule = await rule({ name: "sentinel", metric: "mark", op: ">", threshold: 0, scope: { all: true } });
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.endAsync().catch(() => {});
    await alarm?.stop();
    for (const g of gateways) await g.stop();
    await pool?.end();
    await db?.drop();
    await vhost?.drop();
  });

  it("raises once when values cross and clears once when back past the clear threshold; a short spike is ignored", async () => {
    await sensor("pump-1");
    const hot = await rule({
      name: "hot",
      metric: "temp_c",
      op: ">",
      threshold: 80,
      clear_threshold: 70,
      for_s: 5,
      severity: "critical",
      scope: { sensor_ids: ["pump-1"] },
    });
    // 10 s: a spike of 3 s (shorter than for_s); 20-26 s: above for 6 s; 27-28 s: between 70 and 80 (hysteresis)
    await temp("pump-1", [10, 50], [11, 95], [13, 99], [14, 60], [20, 85], [23, 88], [26, 90], [27, 79], [28, 71]);
    await sentinel("pump-1");
    expect(alertsOf(onB, hot)).toEqual([["raised", 90, 80]]);
    await temp("pump-1", [29, 69], [30, 50], [31, 90]);
    await sentinel("pump-1");
    expect(alertsOf(onB, hot)).toEqual([
      ["raised", 90, 80],
      ["cleared", 69, 70],
    ]);
    expect(alertsOf(onA, hot)).toEqual(alertsOf(onB, hot));
    const raised = onB.find((g) => g.alert.rule_id === hot)?.alert;
    expect(raised).toMatchObject({
      sensor_id: "pump-1",
      metric: "temp_c",
      severity: "critical",
      ts: new Date(T0 + 26_000).toISOString().replace("Z", "000Z"),
    });
    expect(onB.find((g) => g.alert.rule_id === hot)).toMatchObject({ topic: "alerts/pump-1", qos: 1 });
    expect(await openAlarms(hot)).toEqual([{ alarm_id: raised?.alarm_id, sensor_id: "pump-1", state: "cleared" }]);

    // Replayed and late readings (at or before the newest applied) raise nothing and clear nothing.
    await temp("pump-1", [20, 85], [23, 88], [26, 90], [31, 95]);
    await sentinel("pump-1");
    expect(alertsOf(onB, hot)).toHaveLength(2);
    const metrics = await alarm.registry.metrics();
    expect(metricValue(metrics, "sensorstream_alarms_raised_total", { severity: "critical" })).toBe(1);
    expect(metricValue(metrics, "sensorstream_alarms_cleared_total", { severity: "critical" })).toBe(1);
    expect(metricValue(metrics, "sensorstream_alarms_evaluations_total")).toBeGreaterThanOrEqual(16);
  });

  it("a restarted alarm service keeps the open alarm: not raised again, cleared later as the same alarm", async () => {
    await sensor("pump-2");
    const high = await rule({
      name: "high",
      metric: "temp_c",
      op: ">=",
      threshold: 100,
      severity: "warning",
      scope: { sensor_ids: ["pump-2"] },
    });
    await temp("pump-2", [1, 120]);
    await sentinel("pump-2");
    expect(alertsOf(onB, high)).toEqual([["raised", 120, 100]]);

    await alarm.stop();
    alarm = await startService(alarmService, alarmEnv());
    await temp("pump-2", [2, 130], [3, 125]);
    await sentinel("pump-2");
    expect(alertsOf(onB, high)).toEqual([["raised", 120, 100]]);
    expect(await openAlarms(high)).toMatchObject([{ state: "raised" }]);

    await temp("pump-2", [4, 90]);
    await sentinel("pump-2");
    expect(alertsOf(onB, high)).toEqual([
      ["raised", 120, 100],
      ["cleared", 90, 100],
    ]);
    const ids = new Set(onB.filter((g) => g.alert.rule_id === high).map((g) => g.alert.alarm_id));
    expect(ids.size).toBe(1);
  });

  it("an acknowledgement is published as an alert; the alarm still clears by itself", async () => {
    await sensor("pump-3");
    const low = await rule({ name: "low", metric: "temp_c", op: "<", threshold: 5, scope: { type: "pump" } });
    await temp("pump-3", [1, 2]);
    await sentinel("pump-3");
    const raised = onB.find((g) => g.alert.rule_id === low && g.alert.sensor_id === "pump-3")?.alert;
    expect(raised?.state).toBe("raised");
    const acked = await admin.ack(raised?.alarm_id ?? "", "ops");
    expect(acked).toMatchObject({ ok: true, alarm: { state: "acknowledged" } });
    await waitFor(() => onB.some((g) => g.alert.alarm_id === raised?.alarm_id && g.alert.state === "acknowledged"), {
      message: "the acknowledged alert never arrived",
    });
    await temp("pump-3", [2, 6]);
    await sentinel("pump-3");
    expect(
      onB.filter((g) => g.alert.rule_id === low && g.alert.sensor_id === "pump-3").map((g) => g.alert.state),
    ).toEqual(["raised", "acknowledged", "cleared"]);
  });

  it("a no-data rule raises for a sensor that stops, not for one told to sleep, and clears when data returns", async () => {
    await sensor("quiet");
    await sensor("sleeper");
    // Not in the rule's scope: its sentinels order the alerts the sweeps published (a sentinel from quiet is data).
    await sensor("marker");
    const silent = await rule({
      name: "silent",
      kind: "no_data",
      for_s: 1,
      severity: "info",
      scope: { sensor_ids: ["quiet", "sleeper"] },
    });
    await temp("quiet", [1, 20]);
    await temp("sleeper", [1, 20]);
    await sentinel("quiet");
    await sentinel("sleeper");
    await sensors.setDesired(["sleeper"], { mode: "asleep" });
    const toldAt = Date.now();
    await waitFor(
      async () => {
        await alarm.service.sweep();
        return onB.some((g) => g.alert.rule_id === silent && g.alert.state === "raised");
      },
      { message: "the no-data alarm never arrived", timeoutMs: 20_000, intervalMs: 200 },
    );
    // Let the sleeper's silence (counted from being told to sleep, the latest) pass for_s too, then check again.
    await sleep(Math.max(0, toldAt + 1_500 - Date.now()));
    await alarm.service.sweep();
    await sentinel("marker");
    expect(onB.filter((g) => g.alert.rule_id === silent).map((g) => [g.alert.sensor_id, g.alert.state])).toEqual([
      ["quiet", "raised"],
    ]);
    expect(onB.find((g) => g.alert.rule_id === silent)?.alert).toMatchObject({ metric: "no_data", threshold: 1 });
    expect((await openAlarms(silent)).map((a) => a.sensor_id)).toEqual(["quiet"]);

    await temp("quiet", [100, 21]);
    await sentinel("quiet");
    expect(onB.filter((g) => g.alert.rule_id === silent).map((g) => [g.alert.sensor_id, g.alert.state])).toEqual([
      ["quiet", "raised"],
      ["quiet", "cleared"],
    ]);
  });

  it("a rule change reaches the running service without a restart", async () => {
    await sensor("pump-4");
    const r = await rule({ name: "edit", metric: "temp_c", op: ">", threshold: 50, scope: { sensor_ids: ["pump-4"] } });
    await temp("pump-4", [1, 40]);
    await sentinel("pump-4");
    await admin.updateRule(
      r,
      ruleInputSchema.parse({
        name: "edit",
        metric: "temp_c",
        op: ">",
        threshold: 30,
        scope: { sensor_ids: ["pump-4"] },
      }),
    );
    // The same value again (later reading times) until the service applies the new threshold (its poll: 200 ms).
    let t = 1;
    await waitFor(
      async () => {
        t++;
        await temp("pump-4", [t, 40]);
        await sentinel("pump-4");
        return onB.some((g) => g.alert.rule_id === r && g.alert.state === "raised");
      },
      { message: "the changed threshold never applied", timeoutMs: 20_000 },
    );
    expect(onB.filter((g) => g.alert.rule_id === r).map((g) => [g.alert.state, g.alert.threshold])).toEqual([
      ["raised", 30],
    ]);
  });

  it("two competing replicas raise and clear each sensor's alarm exactly once", async () => {
    const second = await startService(alarmService, alarmEnv());
    try {
      const fleet = ["rep-1", "rep-2", "rep-3", "rep-4", "rep-5", "rep-6"];
      for (const id of fleet) await sensor(id);
      const both = await rule({ name: "both", metric: "load", op: ">", threshold: 0, scope: { sensor_ids: fleet } });
      await waitFor(
        async () =>
          metricValue(await second.registry.metrics(), "sensorstream_alarms_rules") ===
          (await pool.query("SELECT count(*)::int AS n FROM alarm_rules WHERE enabled")).rows[0].n,
        { message: "the second replica never loaded the rules" },
      );
      // Interleaved, in several messages per sensor: both replicas take batches with the same sensors.
      for (let t = 1; t <= 40; t += 4)
        await Promise.all(fleet.map((id) => send(id, [t, { load: 1 }], [t + 1, { load: 2 }], [t + 2, { load: 3 }])));
      for (const id of fleet) await sentinel(id);
      await Promise.all(fleet.map((id) => send(id, [100, { load: 0 }])));
      for (const id of fleet) await sentinel(id);
      const states = (id: string) =>
        onB.filter((g) => g.alert.rule_id === both && g.alert.sensor_id === id).map((g) => g.alert.state);
      for (const id of fleet) expect(states(id), id).toEqual(["raised", "cleared"]);
      const took = async (r: StartedService<AlarmService>) =>
        metricValue(await r.registry.metrics(), "sensorstream_alarms_readings_total");
      // The second replica took part of the work (the first one has taken readings since the earlier tests anyway).
      expect(await took(second)).toBeGreaterThan(0);
    } finally {
      await second.stop();
    }
  });
});
