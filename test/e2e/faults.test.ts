import { afterEach, describe, expect, it } from "vitest";
import { testEnv } from "../fixtures/env.js";
import { metricValue } from "../fixtures/prometheus.js";
import { itRabbitMq } from "../fixtures/rabbitmq-only.js";
import { startTcpProxy, type TcpProxy } from "../fixtures/tcp-proxy.js";
import { waitFor } from "../fixtures/wait.js";
import { metricsText, type Spine, startSpine } from "./harness.js";
import { publishLoop } from "./publisher.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every PUBACKed reading is stored exactly once (the primary key forbids more; count proves none is missing). */
async function expectAllAckedStored(spine: Spine, sensorId: string, acked: Set<number>) {
  const stored = await waitFor(
    async () => {
      const rows = await spine.db.query<{ v: number }>(
        "SELECT value AS v FROM measurements WHERE sensor_id = $1 AND metric = 'v'",
        [sensorId],
      );
      const values = new Set(rows.map((r) => r.v));
      return [...acked].every((i) => values.has(i)) ? rows : false;
    },
    { timeoutMs: 30_000, message: `not every PUBACKed reading of ${sensorId} was stored` },
  );
  const values = stored.map((r) => r.v);
  expect(new Set(values).size, "no duplicates").toBe(values.length);
  expect(values.length).toBeGreaterThanOrEqual(acked.size);
}

/** Waits until `n` more publishes than now have been PUBACKed. */
async function ackedMore(loop: { readonly acked: number }, n: number): Promise<void> {
  const target = loop.acked + n;
  await waitFor(() => loop.acked >= target, { timeoutMs: 30_000, message: `fewer than ${n} PUBACKs after the fault` });
}

describe("faults: nothing a sensor got a PUBACK for is lost", () => {
  let spine: Spine | undefined;
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await spine?.close();
    await proxy?.close();
    spine = undefined;
    proxy = undefined;
  });

  itRabbitMq("survives RabbitMQ closing every connection mid-stream", async () => {
    spine = await startSpine("fault_amqp");
    const c = await spine.connect("crane-fault-1");
    const loop = publishLoop(c, "crane-fault-1", 5);
    await sleep(700);
    await spine.vhost.closeAllConnections();
    await sleep(1_000);
    await spine.vhost.closeAllConnections();
    // Publishing must recover after the second close: wait for fresh PUBACKs rather than a fixed time,
    // so a loaded machine makes the test slower, not red.
    await ackedMore(loop, 50);
    const r = await loop.stop();
    await expectAllAckedStored(spine, "crane-fault-1", r.acked);
    const gw = await metricsText(spine.gatewayRegistry);
    expect(
      metricValue(gw, "sensorstream_bus_connects_total", { connection: "gateway", outcome: "ok" }),
    ).toBeGreaterThanOrEqual(3);
  });

  it("survives PostgreSQL being unreachable for a few seconds", async () => {
    const target = new URL(testEnv().databaseUrl);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const p = proxy;
    spine = await startSpine("fault_pg", { ingesterDatabaseUrl: (url) => p.url(url) });
    const c = await spine.connect("pump-fault-1");
    const loop = publishLoop(c, "pump-fault-1", 5);
    await sleep(700);
    p.cut();
    await sleep(3_000);
    p.restore();
    await ackedMore(loop, 50);
    const r = await loop.stop();
    await expectAllAckedStored(spine, "pump-fault-1", r.acked);
    const text = await metricsText(spine.ingesters[0]?.registry ?? spine.gatewayRegistry);
    expect(metricValue(text, "sensorstream_ingester_transient_errors_total")).toBeGreaterThan(0);
    expect(metricValue(text, "sensorstream_dead_letters_total")).toBe(0);
  });
});
