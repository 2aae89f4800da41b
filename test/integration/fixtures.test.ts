import net from "node:net";
import amqp, { type ChannelModel } from "amqplib";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { testEnv } from "../fixtures/env.js";
import { createTestDatabase, type TestDatabase } from "../fixtures/pg.js";
import { metricValue, parsePrometheus } from "../fixtures/prometheus.js";
import { describeRabbitMq } from "../fixtures/rabbitmq-only.js";
import { startTcpProxy } from "../fixtures/tcp-proxy.js";
import { waitFor } from "../fixtures/wait.js";

const adminQuery = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
  const c = new pg.Client({ connectionString: testEnv().databaseUrl });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
};

const freePort = async (): Promise<number> => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
};

/** The error a promise rejects with (fails the test if it resolves). */
const rejection = (p: Promise<unknown>): Promise<Error> =>
  p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e as Error,
  );

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("createTestDatabase", () => {
  it("creates a database of its own, queries it and drops it even with clients connected", async () => {
    const db = await createTestDatabase("fixtures-self test");
    expect(db.name).toMatch(/^ss_fixtures_self_test_[0-9a-f]{10}$/);
    expect(new URL(db.url).pathname).toBe(`/${db.name}`);

    await db.query("CREATE TABLE readings (sensor_id text, value double precision)");
    await db.query("INSERT INTO readings VALUES ($1, $2), ($3, $4)", ["s-1", 1.5, "s-2", 2.5]);
    const rows = await db.query<{ n: number; db: string }>(
      "SELECT count(*)::int AS n, current_database() AS db FROM readings",
    );
    expect(rows).toEqual([{ n: 2, db: db.name }]);

    // A client left open by a test must not block the drop.
    const straggler = new pg.Client({ connectionString: db.url });
    straggler.on("error", () => {});
    await straggler.connect();

    await db.drop();
    await db.drop(); // idempotent
    expect(await adminQuery("SELECT 1 FROM pg_database WHERE datname = $1", [db.name])).toEqual([]);
    await expect(db.query("SELECT 1")).rejects.toThrow(/dropped/);
    await straggler.end().catch(() => {});
  });

  it("says what to start when PostgreSQL is not reachable", async () => {
    vi.stubEnv("DATABASE_URL", `postgresql://postgres:secret@127.0.0.1:${await freePort()}/postgres`);
    const err = await rejection(createTestDatabase("unreachable"));
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/^PostgreSQL is not reachable at .*; start it \(e\.g\. pg_ctlcluster/);
    expect(err.message).not.toContain("secret");
  });
});

describeRabbitMq("createTestVhost", () => {
  let a: TestVhost;
  let b: TestVhost;
  const connections: ChannelModel[] = [];

  beforeAll(async () => {
    [a, b] = await Promise.all([createTestVhost("fixtures-a"), createTestVhost("fixtures-b")]);
  });
  afterAll(async () => {
    for (const c of connections) await c.close().catch(() => {});
    await Promise.all([a?.drop(), b?.drop()]);
  });

  const connect = async (url: string): Promise<ChannelModel> => {
    const c = await amqp.connect(url);
    c.on("error", () => {});
    connections.push(c);
    return c;
  };

  it("isolates queues per vhost; readQueue drains with routing key and headers", async () => {
    expect(a.vhost).toMatch(/^ss_fixtures_a_[0-9a-f]{10}$/);
    expect(new URL(a.url).pathname).toBe(`/${a.vhost}`);

    const conn = await connect(a.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("probe", { durable: true, arguments: { "x-queue-type": "quorum" } });
    for (const i of [1, 2, 3]) {
      ch.publish("", "probe", Buffer.from(`m${i}`), { headers: { "x-reason": `r${i}` } });
    }
    await ch.waitForConfirms();

    expect(await a.queueDepth("probe")).toBe(3);
    await expect(b.queueDepth("probe")).rejects.toThrow(/NOT_FOUND/);

    const first = await a.readQueue("probe", 1);
    expect(first.map((m) => [m.content.toString(), m.routingKey, m.headers["x-reason"]])).toEqual([
      ["m1", "probe", "r1"],
    ]);
    const rest = await a.readQueue("probe");
    expect(rest.map((m) => m.content.toString())).toEqual(["m2", "m3"]);
    expect(await a.queueDepth("probe")).toBe(0);
    expect(await a.readQueue("probe")).toEqual([]);
  });

  it("closeAllConnections closes the connections of its vhost and no other", async () => {
    const victim = await connect(a.url);
    const bystander = await connect(b.url);
    let victimClosed: Error | undefined;
    let bystanderClosed = false;
    victim.on("close", (err?: Error) => {
      victimClosed = err ?? new Error("closed without error");
    });
    bystander.on("close", () => {
      bystanderClosed = true;
    });

    await a.closeAllConnections();

    const reason = await waitFor(() => victimClosed, { timeoutMs: 5_000, message: "victim connection still open" });
    expect(reason.message).toMatch(/CONNECTION_FORCED/);
    expect(bystanderClosed).toBe(false);
    const ch = await bystander.createChannel();
    await ch.assertQueue("still-here");
    expect(await b.queueDepth("still-here")).toBe(0);
  });

  it("drop deletes the vhost: new connections are refused", async () => {
    const c = await createTestVhost("fixtures-drop");
    const conn = await amqp.connect(c.url);
    conn.on("error", () => {});
    const closed = new Promise<void>((resolve) => conn.on("close", () => resolve()));
    await c.drop();
    await c.drop(); // idempotent
    await closed;
    await expect(amqp.connect(c.url)).rejects.toThrow();
  });

  it("says what to start when RabbitMQ is not reachable", async () => {
    vi.stubEnv("AMQP_URL", `amqp://guest:secret@127.0.0.1:${await freePort()}`);
    const err = await rejection(createTestVhost("unreachable"));
    expect(err.message).toMatch(/^RabbitMQ is not reachable at .*; start it \(e\.g\. rabbitmq-server -detached/);
    expect(err.message).not.toContain("secret");
  });
});

describe("startTcpProxy", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("fixtures-proxy");
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("rewrites only host and port of a URL", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: 1 });
    try {
      expect(proxy.url("postgresql://u:p%40ss@db.example:6543/x?sslmode=disable")).toBe(
        `postgresql://u:p%40ss@127.0.0.1:${proxy.port}/x?sslmode=disable`,
      );
      expect(proxy.url("amqp://guest:guest@rabbit/vh")).toBe(`amqp://guest:guest@127.0.0.1:${proxy.port}/vh`);
    } finally {
      await proxy.close();
    }
  });

  it("forwards, cuts (open and new connections fail) and restores", async () => {
    const target = new URL(db.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const clients: pg.Client[] = [];
    const client = async (): Promise<pg.Client> => {
      const c = new pg.Client({ connectionString: proxy.url(db.url), connectionTimeoutMillis: 3_000 });
      c.on("error", () => {});
      clients.push(c);
      await c.connect();
      return c;
    };
    try {
      const before = await client();
      expect((await before.query("SELECT current_database() AS db")).rows).toEqual([{ db: db.name }]);

      proxy.cut();
      await expect(before.query("SELECT 1")).rejects.toThrow();
      await expect(client()).rejects.toThrow();

      proxy.restore();
      const after = await client();
      expect((await after.query("SELECT 41 + 1 AS n")).rows).toEqual([{ n: 42 }]);
    } finally {
      for (const c of clients) await c.end().catch(() => {});
      await proxy.close();
    }
  });
});

describe("waitFor", () => {
  it("returns the first truthy value", async () => {
    let n = 0;
    const v = await waitFor(() => (++n >= 3 ? { n } : undefined), { intervalMs: 1, message: "never" });
    expect(v).toEqual({ n: 3 });
  });

  it("on timeout throws the message evaluated at the timeout, with the last error as cause", async () => {
    let attempts = 0;
    const err = await rejection(
      waitFor(
        () => {
          attempts++;
          if (attempts % 2 === 0) throw new Error("boom");
          return false;
        },
        { timeoutMs: 100, intervalMs: 5, message: () => `attempts=${attempts}` },
      ),
    );
    expect(attempts).toBeGreaterThan(2);
    expect(err.message).toMatch(new RegExp(`^waitFor timed out after 100 ms: attempts=${attempts} `));
    expect(err.message).toContain("(last error: boom)");
    expect((err.cause as Error).message).toBe("boom");
  });

  it("times out even when an attempt never settles", async () => {
    const err = await rejection(waitFor(() => new Promise<false>(() => {}), { timeoutMs: 50, message: "hung" }));
    expect(err.message).toBe("waitFor timed out after 50 ms: hung");
  });
});

describe("parsePrometheus / metricValue", () => {
  const text = [
    "# HELP sensorstream_ingest_messages_total Messages handled.",
    "# TYPE sensorstream_ingest_messages_total counter",
    'sensorstream_ingest_messages_total{outcome="ok",queue="measurements"} 40',
    'sensorstream_ingest_messages_total{outcome="ok",queue="logs"} 2',
    'sensorstream_ingest_messages_total{outcome="invalid",queue="measurements"} 3 1700000000000',
    "# TYPE sensorstream_batch_seconds histogram",
    'sensorstream_batch_seconds_bucket{le="0.1"} 5',
    'sensorstream_batch_seconds_bucket{le="+Inf"} 7',
    "sensorstream_batch_seconds_sum 0.75",
    "sensorstream_batch_seconds_count 7",
    'odd_labels{path="a\\"b\\\\c\\nd", empty=""} +Inf',
    "process_up 1e0",
    "",
  ].join("\n");

  it("parses names, labels (with escapes) and values", () => {
    const samples = parsePrometheus(text);
    expect(samples).toHaveLength(9);
    expect(samples[0]).toEqual({
      name: "sensorstream_ingest_messages_total",
      labels: { outcome: "ok", queue: "measurements" },
      value: 40,
    });
    expect(samples.find((s) => s.name === "odd_labels")).toEqual({
      name: "odd_labels",
      labels: { path: 'a"b\\c\nd', empty: "" },
      value: Number.POSITIVE_INFINITY,
    });
    expect(() => parsePrometheus("broken{le=1} 2")).toThrow(/line 1/);
  });

  it("sums the samples whose labels include the given ones", () => {
    expect(metricValue(text, "sensorstream_ingest_messages_total")).toBe(45);
    expect(metricValue(text, "sensorstream_ingest_messages_total", { outcome: "ok" })).toBe(42);
    expect(metricValue(text, "sensorstream_ingest_messages_total", { outcome: "ok", queue: "logs" })).toBe(2);
    expect(metricValue(text, "sensorstream_ingest_messages_total", { outcome: "transient" })).toBe(0);
    expect(metricValue(text, "sensorstream_batch_seconds_bucket", { le: "+Inf" })).toBe(7);
    expect(metricValue(text, "missing_metric")).toBe(0);
  });
});
