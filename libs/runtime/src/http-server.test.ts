import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import {
  counter,
  createHttpServer,
  createRegistry,
  gauge,
  Health,
  histogram,
  LATENCY_BUCKETS,
  listen,
} from "./index.js";

const apps: FastifyInstance[] = [];

function setup(opts: { defaultMetrics?: boolean } = { defaultMetrics: false }) {
  const registry = createRegistry(opts);
  const health = new Health();
  const app = createHttpServer({ registry, health });
  apps.push(app);
  return { registry, health, app };
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

describe("createHttpServer", () => {
  it("/healthz answers 200 whatever the checks say", async () => {
    const { app, health } = setup();
    health.register("amqp", () => false);
    const res = await app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toStrictEqual({ status: "ok" });
  });

  it("/readyz answers 503 until every check passes, then 200", async () => {
    const { app, health } = setup();
    let connected = false;
    health.register("amqp", () => connected);
    health.register("db", () => true);

    const before = await app.inject({ method: "GET", url: "/readyz" });
    expect(before.statusCode).toBe(503);
    expect(before.json()).toStrictEqual({ status: "not_ready", checks: { amqp: false, db: true } });

    connected = true;
    const after = await app.inject({ method: "GET", url: "/readyz" });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toStrictEqual({ status: "ready", checks: { amqp: true, db: true } });
  });

  it("/metrics serves the registry in Prometheus text format", async () => {
    const { app, registry } = setup();
    const c = counter(registry, {
      name: "sensorstream_test_messages_total",
      help: "messages",
      labelNames: ["outcome"] as const,
    });
    c.inc({ outcome: "ok" }, 3);
    c.inc({ outcome: "invalid" });
    gauge(registry, { name: "sensorstream_test_inflight", help: "in flight" }).set(2);
    histogram(registry, {
      name: "sensorstream_test_latency_seconds",
      help: "latency",
      buckets: LATENCY_BUCKETS,
    }).observe(0.2);

    const res = await app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain("# TYPE sensorstream_test_messages_total counter");
    expect(res.body).toContain('sensorstream_test_messages_total{outcome="ok"} 3');
    expect(res.body).toContain('sensorstream_test_messages_total{outcome="invalid"} 1');
    expect(res.body).toContain("sensorstream_test_inflight 2");
    expect(res.body).toContain('sensorstream_test_latency_seconds_bucket{le="0.2"} 1');
    expect(res.body).toContain('sensorstream_test_latency_seconds_bucket{le="0.15"} 0');
    expect(res.body).toContain("sensorstream_test_latency_seconds_count 1");
    expect(res.body).not.toContain("sensorstream_process_");
  });

  it("/metrics includes the process metrics by default, under the sensorstream_process_ prefix", async () => {
    const { app } = setup({});
    const res = await app.inject({ method: "GET", url: "/metrics" });
    expect(res.body).toMatch(/^sensorstream_process_process_cpu_user_seconds_total \d/m);
    expect(res.body).toMatch(/^sensorstream_process_nodejs_heap_size_used_bytes \d/m);
  });

  it("answers 404 elsewhere", async () => {
    const { app } = setup();
    expect((await app.inject({ method: "GET", url: "/nope" })).statusCode).toBe(404);
  });

  it("listen returns the bound port when asked for port 0", async () => {
    const { app } = setup();
    const port = await listen(app, 0, "127.0.0.1");
    expect(port).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toStrictEqual({ status: "ok" });
  });
});

describe("metric helpers", () => {
  it("get-or-create: the same name yields the same metric", () => {
    const registry = createRegistry({ defaultMetrics: false });
    const a = counter(registry, { name: "sensorstream_test_a_total", help: "a" });
    const b = counter(registry, { name: "sensorstream_test_a_total", help: "a" });
    expect(b).toBe(a);
    const g = gauge(registry, { name: "sensorstream_test_g", help: "g" });
    expect(gauge(registry, { name: "sensorstream_test_g", help: "g" })).toBe(g);
    const h = histogram(registry, { name: "sensorstream_test_h_seconds", help: "h", buckets: [1] });
    expect(histogram(registry, { name: "sensorstream_test_h_seconds", help: "h", buckets: [1] })).toBe(h);
  });

  it("keeps registries apart", async () => {
    const r1 = createRegistry({ defaultMetrics: false });
    const r2 = createRegistry({ defaultMetrics: false });
    counter(r1, { name: "sensorstream_test_only_r1_total", help: "x" }).inc();
    expect(await r2.metrics()).not.toContain("sensorstream_test_only_r1_total");
  });

  it("latency buckets ascend", () => {
    expect([...LATENCY_BUCKETS].sort((a, b) => a - b)).toStrictEqual(LATENCY_BUCKETS);
    expect(LATENCY_BUCKETS).toContain(1);
  });
});
