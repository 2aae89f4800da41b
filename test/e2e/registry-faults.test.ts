import { formatMicros } from "@sensorstream/contracts";
import { migrate } from "@sensorstream/db";
import { type RegistryService, startRegistry } from "@sensorstream/registry";
import { createRegistry, Health, type Registry, silentLogger } from "@sensorstream/runtime";
import { SensorAdmin } from "@sensorstream/sensors";
import amqp from "amqplib";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { testEnv } from "../fixtures/env.js";
import { createTestDatabase, type TestDatabase, testPool } from "../fixtures/pg.js";
import { metricValue } from "../fixtures/prometheus.js";
import { describeRabbitMq } from "../fixtures/rabbitmq-only.js";
import { startTcpProxy, type TcpProxy } from "../fixtures/tcp-proxy.js";
import { waitFor } from "../fixtures/wait.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The registry's batches across a database outage: retried unacked, nothing dead-lettered, nothing lost. */
describeRabbitMq("registry during a PostgreSQL outage", () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let proxy: TcpProxy;
  let service: RegistryService;
  let metrics: Registry;
  const ids = Array.from({ length: 50 }, (_, i) => `outage-${i}`);

  beforeAll(async () => {
    db = await createTestDatabase("registry_faults");
    vhost = await createTestVhost("registry_faults");
    const pool = testPool(db.url, 2);
    await migrate(pool, { logger: silentLogger(), timescale: "off" });
    const admin = new SensorAdmin(pool);
    for (const id of ids) await admin.create({ id });
    await pool.end();
    const target = new URL(testEnv().databaseUrl);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    metrics = createRegistry({ defaultMetrics: false });
    const health = new Health();
    service = await startRegistry(
      {
        AMQP_URL: vhost.url,
        DATABASE_URL: proxy.url(db.url),
        TIMESCALEDB: "off",
        REGISTRATION: "manual",
        SILENT_FLOOR_S: 600,
        SILENT_INTERVALS: 5,
        PRESENCE_CHECK_S: 3_600,
        DB_POOL_SIZE: 2,
      },
      { logger: silentLogger(), registry: metrics, health },
    );
    await waitFor(() => health.report().ready, { message: "registry never ready" });
  });
  afterAll(async () => {
    await service?.stop();
    await proxy?.close();
    await vhost?.drop();
    await db?.drop();
  });

  it("retries the batch without acking while the database is away, then applies every event in order", async () => {
    const conn = await amqp.connect(vhost.url);
    const ch = await conn.createConfirmChannel();
    const publish = (id: string, state: string, us: number) => {
      const body = { msg_id: `${id}-${state}`, sensor_id: id, received_at: formatMicros(us), status: { state } };
      ch.publish("sensor_streaming", `sensor_${id}.status`, Buffer.from(JSON.stringify(body)), {
        messageId: body.msg_id,
      });
    };
    const t0 = Date.now() * 1000;
    proxy.cut();
    for (const id of ids) publish(id, "online", t0);
    for (const id of ids.slice(0, 25)) publish(id, "offline", t0 + 1_000);
    await ch.waitForConfirms();
    await conn.close();
    await sleep(1_500);
    const during = await db.query<{ n: string }>("SELECT count(*)::text AS n FROM sensors WHERE presence <> 'offline'");
    expect(during[0]?.n).toBe("0");
    proxy.restore();
    await waitFor(
      async () => {
        const r = await db.query<{ presence: string; n: string }>(
          "SELECT presence, count(*)::text AS n FROM sensors GROUP BY presence ORDER BY presence",
        );
        return (
          JSON.stringify(r) ===
          JSON.stringify([
            { presence: "offline", n: "25" },
            { presence: "online", n: "25" },
          ])
        );
      },
      { timeoutMs: 20_000, message: "the events were not all applied after the outage" },
    );
    const history = await db.query<{ n: string }>("SELECT count(*)::text AS n FROM sensor_presence_history");
    expect(history[0]?.n).toBe("75");
    const text = await metrics.metrics();
    expect(metricValue(text, "sensorstream_consumer_messages_total", { outcome: "transient" })).toBeGreaterThan(0);
    expect(metricValue(text, "sensorstream_dead_letters_total")).toBe(0);
    expect(await vhost.readQueue("dead_letters")).toHaveLength(0);
  });
});
