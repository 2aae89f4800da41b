import { type AlarmService, alarmService } from "@sensorstream/alarm";
import { AlarmAdmin, ruleInputSchema } from "@sensorstream/alarms";
import { declareTopology, QUEUES, type QueueSpec } from "@sensorstream/bus";
import { migrate } from "@sensorstream/db";
import { type Gateway, gatewayService } from "@sensorstream/gateway";
import { measurementIngesterService } from "@sensorstream/measurement-ingester";
import { silentLogger } from "@sensorstream/runtime";
import amqp from "amqplib";
import mqtt from "mqtt";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { createTestDatabase, type TestDatabase } from "../fixtures/pg.js";
import { describeRabbitMq } from "../fixtures/rabbitmq-only.js";
import { type StartedService, startService } from "../fixtures/services.js";
import { waitFor } from "../fixtures/wait.js";
import { gatewayEnv, ingesterEnv, publishDirect } from "./harness.js";

/** What the gateway publishes for the platform, seen from a test queue bound like alarms.input and measurements. */
const TAP = "test.bridged";
/** A queue of one's own bound to the per-sensor copies (sensor_<id>.data, PER_SENSOR_DATA). */
const OWN = "test.own";
const T0 = Date.parse("2026-11-30T03:00:00Z");

/**
 * The alarm service's input (docs/alarms.md): the gateway's readings.bridged messages, one per turn, holding that
 * turn's data messages byte for byte and in order; and an upgrade from an alarms.input bound to *.data.
 */
describeRabbitMq("readings.bridged: how the measurement ingesters and the alarm service get readings", () => {
  let vhost: TestVhost;
  let db: TestDatabase;
  let pool: pg.Pool;
  let alarm: StartedService<AlarmService> | undefined;
  let gateway: StartedService<Gateway> | undefined;

  beforeAll(async () => {
    vhost = await createTestVhost("alarms_input");
    db = await createTestDatabase("alarms_input");
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on("error", () => {});
    await migrate(pool, { logger: silentLogger(), timescale: "off" });
  });
  afterAll(async () => {
    await gateway?.stop();
    await alarm?.stop();
    await pool?.end();
    await db?.drop();
    await vhost?.drop();
  });

  /** A queue as the releases before readings.bridged declared it: bound to *.data. */
  const declareAsBefore = async (queue: QueueSpec) => {
    const conn = await amqp.connect(vhost.url);
    const ch = await conn.createChannel();
    await declareTopology(ch, [{ ...queue, bindings: ["*.data"], retiredBindings: [] }]);
    await conn.close();
  };

  it("an upgraded alarms.input loses its *.data binding and still evaluates the single messages left in it", async () => {
    // alarms.input as the release before declared it: bound to *.data, with a reading waiting in it.
    await declareAsBefore(QUEUES.alarmsInput);
    const reading = (sensor: string, value: number) => ({
      key: `sensor_${sensor}.data`,
      body: {
        msg_id: `m-${sensor}`,
        sensor_id: sensor,
        received_at: new Date(T0).toISOString(),
        readings: [{ time: new Date(T0).toISOString(), values: { temp_c: value } }],
      },
    });
    await publishDirect(vhost.url, [reading("left-over", 99)]);
    expect(await vhost.queueDepth(QUEUES.alarmsInput.name)).toBe(1);

    const admin = new AlarmAdmin(pool);
    const rule = await admin.createRule(
      ruleInputSchema.parse({ name: "hot", metric: "temp_c", op: ">", threshold: 50, scope: { all: true } }),
    );
    alarm = await startService(alarmService, {
      AMQP_URL: vhost.url,
      DATABASE_URL: db.url,
      BATCH_FLUSH_MS: "20",
      ALARM_RULES_POLL_MS: "200",
    });
    const raised = async (sensor: string) =>
      (await pool.query("SELECT 1 FROM alarms WHERE rule_id = $1 AND sensor_id = $2", [rule.rule_id, sensor]))
        .rowCount === 1;
    await waitFor(() => raised("left-over"), { message: "the reading left in alarms.input was never evaluated" });

    // *.data no longer reaches it; readings.bridged does. The second arrives after the first would have (one queue).
    await publishDirect(vhost.url, [reading("direct", 99)]);
    await publishDirect(vhost.url, [{ key: "readings.bridged", body: [reading("bridged", 99).body] }]);
    await waitFor(() => raised("bridged"), { message: "the readings.bridged message was never evaluated" });
    expect(await raised("direct")).toBe(false);
    await alarm.stop();
    alarm = undefined;
  });

  it("an upgraded measurements queue loses its *.data binding; the ingester stores what was left in it", async () => {
    // measurements as the release before declared it: bound to *.data, with a data message waiting in it.
    await declareAsBefore(QUEUES.measurements);
    const data = (sensor: string) => ({
      key: `sensor_${sensor}.data`,
      body: {
        msg_id: `m-${sensor}`,
        sensor_id: sensor,
        received_at: new Date(T0).toISOString(),
        readings: [{ time: new Date(T0).toISOString(), values: { temp_c: 1 } }],
      },
    });
    await publishDirect(vhost.url, [data("m-left-over")]);
    expect(await vhost.queueDepth(QUEUES.measurements.name)).toBe(1);
    const ingester = await startService(measurementIngesterService, ingesterEnv(vhost.url, db.url));
    const rows = async (sensor: string) =>
      (await pool.query("SELECT 1 FROM measurements WHERE sensor_id = $1", [sensor])).rowCount;
    try {
      await waitFor(async () => (await rows("m-left-over")) === 1, { message: "the message left over was not stored" });
      // *.data no longer reaches it; readings.bridged does. The second arrives after the first would have (one queue).
      await publishDirect(vhost.url, [data("m-direct")]);
      await publishDirect(vhost.url, [{ key: "readings.bridged", body: [data("m-bridged").body] }]);
      await waitFor(async () => (await rows("m-bridged")) === 1, { message: "readings.bridged was not stored" });
      expect(await rows("m-direct")).toBe(0);
    } finally {
      await ingester.stop();
    }
  });

  it("the gateway sends each turn's data messages as one readings.bridged message, in order, and PUBACKs after it", async () => {
    const conn = await amqp.connect(vhost.url);
    const ch = await conn.createChannel();
    await ch.assertQueue(TAP, { durable: false });
    await ch.bindQueue(TAP, "sensor_streaming", "readings.bridged");
    await ch.assertQueue(OWN, { durable: false });
    await ch.bindQueue(OWN, "sensor_streaming", "*.data");
    gateway = await startService(gatewayService, await gatewayEnv(vhost.url, db.url));
    const clients = await Promise.all(
      ["pump-1", "pump-2"].map((id) =>
        mqtt.connectAsync(`mqtt://127.0.0.1:${gateway?.service.mqttPort}`, { clientId: id, reconnectPeriod: 0 }),
      ),
    );
    try {
      // 20 readings per sensor, all in flight at once: several data messages per turn.
      await Promise.all(
        clients.flatMap((c, s) =>
          Array.from({ length: 20 }, (_, i) =>
            c.publishAsync(`sensors/pump-${s + 1}/data`, JSON.stringify({ ts: T0 + i * 1000, values: { temp_c: i } }), {
              qos: 1,
            }),
          ),
        ),
      );
      // Every PUBACKed reading is already in a confirmed readings.bridged message.
      const tapped = (await vhost.readQueue(TAP)).map((m) => m.content.toString());
      const bridged = tapped.map((b) => JSON.parse(b) as unknown[]);
      expect(bridged.length).toBeLessThan(40);
      // The ingesters' queue holds the same messages.
      const measurements = (await vhost.readQueue(QUEUES.measurements.name)).map((m) => m.content.toString());
      expect(measurements).toStrictEqual(tapped);
      // And every data message went out on its own too, as sensor_<id>.data (PER_SENSOR_DATA), byte for byte.
      const own = (await vhost.readQueue(OWN)).map((m) => m.content.toString());
      expect(own).toHaveLength(40);
      const all = bridged.flat() as { sensor_id: string; readings: { values: { temp_c: number } }[] }[];
      expect(new Set(all.map((m) => JSON.stringify(m)))).toStrictEqual(
        new Set(own.map((s) => JSON.stringify(JSON.parse(s)))),
      );
      for (const sensor of ["pump-1", "pump-2"]) {
        const values = all.filter((m) => m.sensor_id === sensor).map((m) => m.readings[0]?.values.temp_c);
        expect(values, sensor).toStrictEqual(Array.from({ length: 20 }, (_, i) => i));
      }
    } finally {
      for (const c of clients) await c.endAsync();
      await conn.close();
    }
  });
});
