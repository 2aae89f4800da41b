import { type ApiDeps, registerApi } from "@sensorstream/api";
import { sensorDeletedSchema } from "@sensorstream/contracts";
import { migrate, type Pool } from "@sensorstream/db";
import { createHttpServer, createRegistry, Health, silentLogger } from "@sensorstream/runtime";
import { hashToken } from "@sensorstream/sensors";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { createTestDatabase, type TestDatabase, testPool } from "../fixtures/pg.js";

const TOKEN = "test-api-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };

type App = ReturnType<typeof createHttpServer>;
type ErrorBody = { error: { code: string; message: string; details?: Array<{ path: string; message: string }> } };

let vhost: TestVhost;

async function apiServer(deps: Omit<ApiDeps, "amqpUrl" | "registry">, amqpUrl = vhost.url): Promise<App> {
  const registry = createRegistry();
  const app = createHttpServer({ registry, health: new Health() });
  await registerApi(app, { ...deps, amqpUrl, registry });
  await app.ready();
  return app;
}

describe("HTTP API", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let app: App;
  const apps: App[] = [];

  const call = async (
    method: "GET" | "POST" | "PATCH" | "DELETE",
    url: string,
    opts: { body?: unknown; headers?: Record<string, string>; on?: App } = {},
  ) => {
    const res = await (opts.on ?? app).inject({
      method,
      url,
      headers: opts.headers ?? auth,
      ...(opts.body === undefined ? {} : { payload: opts.body as Record<string, unknown> }),
    });
    return { status: res.statusCode, headers: res.headers, body: res.json() as Record<string, unknown>, raw: res };
  };
  const error = (body: unknown) => (body as ErrorBody).error;
  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => db.query<T>(text, params);
  const create = async (id: string, extra: Record<string, unknown> = {}) => {
    const r = await call("POST", "/api/sensors", { body: { id, ...extra } });
    expect(r.status).toBe(201);
    return r.body as { sensor: Record<string, unknown>; username: string; token: string };
  };

  beforeAll(async () => {
    db = await createTestDatabase("api");
    vhost = await createTestVhost("api");
    pool = testPool(db.url, 4);
    await migrate(pool, { logger: silentLogger(), timescale: "auto" });
    app = await apiServer({ pool, logger: silentLogger(), auth: { token: TOKEN, readAccess: "token" } });
    apps.push(app);
  });

  afterAll(async () => {
    for (const a of apps) await a.close();
    await pool?.end();
    await db?.drop();
    await vhost?.drop();
  });

  describe("sensors", () => {
    it("registers a sensor, shows its MQTT credentials once and stores only the token's hash", async () => {
      const r = await call("POST", "/api/sensors", {
        body: { id: "crane-7", type: "vibration", model: "VX-2", firmware: "1.4.0", metadata: { site: "port" } },
      });
      expect(r.status).toBe(201);
      expect(r.headers.location).toBe("/api/sensors/crane-7");
      expect(r.body).toMatchObject({
        username: "crane-7",
        token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        sensor: {
          id: "crane-7",
          type: "vibration",
          model: "VX-2",
          firmware: "1.4.0",
          metadata: { site: "port" },
          registered_by: "api",
          presence: "offline",
          has_credentials: true,
          in_sync: true,
        },
      });
      const [row] = await sql<{ token_hash: string }>("SELECT token_hash FROM sensors WHERE id = 'crane-7'");
      expect(row?.token_hash).toBe(hashToken(r.body.token as string));

      const again = await call("GET", "/api/sensors/crane-7");
      expect(again.status).toBe(200);
      expect(JSON.stringify(again.body)).not.toContain(r.body.token as string);
    });

    it("answers 409 for an id that exists, and 400 for an invalid id or body", async () => {
      await create("dup-1");
      const dup = await call("POST", "/api/sensors", { body: { id: "dup-1" } });
      expect(dup.status).toBe(409);
      expect(error(dup.body)).toMatchObject({ code: "sensor_exists", message: expect.stringContaining("dup-1") });

      for (const id of ["bad.id", "sensors/+", "-leading", "x".repeat(65), ""]) {
        const r = await call("POST", "/api/sensors", { body: { id } });
        expect(r.status).toBe(400);
        expect(error(r.body).code).toBe("invalid_body");
        expect(error(r.body).message).toContain("a sensor id is 1-64 characters");
        expect(error(r.body).details).toEqual([{ path: "body.id", message: expect.any(String) }]);
      }
      const typo = await call("POST", "/api/sensors", { body: { id: "ok-1", typ: "vibration" } });
      expect(typo.status).toBe(400);
      expect(error(typo.body).message).toContain('unknown "typ"');
      const noBody = await call("POST", "/api/sensors");
      expect(noBody.status).toBe(400);
      expect(error(noBody.body)).toEqual({
        code: "invalid_body",
        message: "send a JSON object as the body, with content-type: application/json",
      });
      const notObject = await call("POST", "/api/sensors", { body: [1, 2] });
      expect(notObject.status).toBe(400);
      expect(error(notObject.body).code).toBe("invalid_body");

      const badPath = await call("GET", "/api/sensors/bad.id");
      expect(badPath.status).toBe(400);
      expect(error(badPath.body)).toMatchObject({ code: "invalid_params", details: [{ path: "path.id" }] });
      expect((await sql("SELECT id FROM sensors WHERE id IN ('bad.id', 'ok-1')")).length).toBe(0);
    });

    it("gets a sensor with its presence and desired vs reported state, or 404 sensor_not_found", async () => {
      await create("pump-3", { type: "flow" });
      await sql(
        `UPDATE sensors SET presence = 'online', reported_mode = 'awake', reported_sample_hz = 10,
           desired_mode = 'awake', desired_sample_hz = 50 WHERE id = 'pump-3'`,
      );
      const r = await call("GET", "/api/sensors/pump-3");
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        id: "pump-3",
        presence: "online",
        reported: { mode: "awake", sample_hz: 10 },
        desired: { mode: "awake", sample_hz: 50 },
        in_sync: false,
      });

      const missing = await call("GET", "/api/sensors/nope-1");
      expect(missing.status).toBe(404);
      expect(error(missing.body)).toEqual({
        code: "sensor_not_found",
        message: 'there is no sensor "nope-1"; GET /api/sensors lists the registered ones',
      });
    });

    it("lists by type and presence, a page at a time, without skipping or repeating", async () => {
      const ids = ["list-a", "list-b", "list-c", "list-d", "list-e"];
      for (const id of ids) await create(id, { type: "list-type" });
      await sql("UPDATE sensors SET presence = 'asleep' WHERE id IN ('list-b', 'list-d')");

      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const q: string = after ? `&after=${after}` : "";
        const r = await call("GET", `/api/sensors?type=list-type&limit=2${q}`);
        expect(r.status).toBe(200);
        const page = r.body as { items: Array<{ id: string; type: string }>; next_after: string | null };
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((s) => s.id));
        after = page.next_after;
        pages++;
      } while (after !== null && pages < 10);
      expect(seen).toEqual(ids);
      expect(pages).toBe(3);

      const asleep = await call("GET", "/api/sensors?type=list-type&presence=asleep");
      expect((asleep.body.items as Array<{ id: string }>).map((s) => s.id)).toEqual(["list-b", "list-d"]);
      expect(asleep.body.next_after).toBeNull();

      const exact = await call("GET", "/api/sensors?type=list-type&limit=5");
      expect((exact.body.items as unknown[]).length).toBe(5);
      expect(exact.body.next_after).toBeNull();
    });

    it("answers 400 with a useful message for every bad query parameter, never 500", async () => {
      const cases: Array<[string, string, string]> = [
        ["/api/sensors?limit=0", "query.limit", "limit must be a whole number from 1 to 1000"],
        ["/api/sensors?limit=5000", "query.limit", "limit must be a whole number from 1 to 1000"],
        ["/api/sensors?limit=abc", "query.limit", "limit must be a whole number from 1 to 1000"],
        ["/api/sensors?limit=1.5", "query.limit", "limit must be a whole number from 1 to 1000"],
        ["/api/sensors?presence=sleeping", "query.presence", "presence must be one of online, offline, asleep, silent"],
        ["/api/sensors?after=no.dots", "query.after", "a sensor id is"],
        ["/api/sensors?limit=1&limit=2", "query.limit", "limit must be"],
        ["/api/sensors?colour=red", "query", 'unknown "colour"'],
        ["/api/sensors/crane-7?x=1", "query", 'unknown "x"'],
      ];
      for (const [url, path, message] of cases) {
        const r = await call("GET", url);
        expect(r.status, url).toBe(400);
        expect(error(r.body).code, url).toBe("invalid_query");
        expect(error(r.body).message, url).toContain(message);
        expect(error(r.body).details?.[0]?.path, url).toBe(path);
      }
    });

    it("updates type, model, firmware and metadata; metadata is replaced as a whole", async () => {
      await create("upd-1", { type: "t1", metadata: { a: 1, b: 2 } });
      const r = await call("PATCH", "/api/sensors/upd-1", { body: { firmware: "2.0.0", metadata: { c: 3 } } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ id: "upd-1", type: "t1", firmware: "2.0.0", metadata: { c: 3 } });
      const [row] = await sql<{ metadata: unknown; firmware: string }>(
        "SELECT metadata, firmware FROM sensors WHERE id = 'upd-1'",
      );
      expect(row).toEqual({ metadata: { c: 3 }, firmware: "2.0.0" });

      const empty = await call("PATCH", "/api/sensors/upd-1", { body: {} });
      expect(empty.status).toBe(400);
      expect(error(empty.body).message).toContain("send at least one of type, model, firmware, metadata");
      const nullType = await call("PATCH", "/api/sensors/upd-1", { body: { type: null } });
      expect(nullType.status).toBe(400);
      const unknownField = await call("PATCH", "/api/sensors/upd-1", { body: { presence: "online" } });
      expect(unknownField.status).toBe(400);
      const missing = await call("PATCH", "/api/sensors/nope-2", { body: { type: "x" } });
      expect(missing.status).toBe(404);
      expect(error(missing.body).code).toBe("sensor_not_found");
    });

    it("answers 400 naming the field, never 500, for NUL characters, deep nesting and oversized metadata", async () => {
      await create("hard-1", { metadata: { site: "dock" } });
      const raw = (method: "POST" | "PATCH", url: string, payload: string) =>
        app.inject({ method, url, headers: { ...auth, "content-type": "application/json" }, payload });
      const refused = async (
        res: { statusCode: number; json: () => unknown },
        path: string,
        message: RegExp,
      ): Promise<void> => {
        expect(res.statusCode, path).toBe(400);
        const e = error(res.json());
        expect(e.code).toBe("invalid_body");
        expect(e.details?.[0]?.path).toBe(path);
        expect(e.message).toMatch(message);
      };
      for (const field of ["type", "model", "firmware"]) {
        const body = JSON.stringify({ id: "hard-2", [field]: "a\u0000b" });
        await refused(await raw("POST", "/api/sensors", body), `body.${field}`, /NUL character/);
        await refused(
          await raw("PATCH", "/api/sensors/hard-1", JSON.stringify({ [field]: "\u0000" })),
          `body.${field}`,
          /NUL/,
        );
      }
      await refused(
        await raw("POST", "/api/sensors", '{"id":"hard-2","metadata":{"site":{"name":"a\\u0000"}}}'),
        "body.metadata.site.name",
        /NUL character/,
      );
      await refused(
        await raw("PATCH", "/api/sensors/hard-1", '{"metadata":{"bad\\u0000key":1}}'),
        "body.metadata",
        /the key .* contains a NUL character/,
      );
      const deep = `{"metadata":${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}}`;
      await refused(
        await raw("PATCH", "/api/sensors/hard-1", deep),
        `body.metadata${".a".repeat(33)}`,
        /nested deeper than 32 levels/,
      );
      const arrays = `{"id":"hard-2","metadata":{"a":${"[".repeat(5_000)}${"]".repeat(5_000)}}}`;
      await refused(await raw("POST", "/api/sensors", arrays), `body.metadata.a${".0".repeat(32)}`, /nested deeper/);
      const big = JSON.stringify({ metadata: { notes: "x".repeat(20 * 1024) } });
      await refused(await raw("PATCH", "/api/sensors/hard-1", big), "body.metadata", /at most 16 KiB/);
      const query = await call("GET", "/api/sensors?type=a%00b");
      expect(query.status).toBe(400);
      expect(error(query.body).details?.[0]?.path).toBe("query.type");
      // Nothing was written: hard-2 never existed, hard-1 kept its metadata.
      expect(await sql("SELECT id, metadata FROM sensors WHERE id LIKE 'hard-%'")).toEqual([
        { id: "hard-1", metadata: { site: "dock" } },
      ]);
      // Nesting up to the limit is stored.
      const ok = await raw("PATCH", "/api/sensors/hard-1", `{"metadata":${'{"a":'.repeat(32)}1${"}".repeat(32)}}`);
      expect(ok.statusCode).toBe(200);
    });

    it("rotates credentials: a new token, the old hash replaced", async () => {
      const { token } = await create("rot-1");
      const r = await call("POST", "/api/sensors/rot-1/token");
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ sensor_id: "rot-1", username: "rot-1", token: expect.any(String) });
      expect(r.body.token).not.toBe(token);
      const [row] = await sql<{ token_hash: string }>("SELECT token_hash FROM sensors WHERE id = 'rot-1'");
      expect(row?.token_hash).toBe(hashToken(r.body.token as string));
      expect((await call("POST", "/api/sensors/nope-3/token")).status).toBe(404);
    });
  });

  describe("deleting a sensor", () => {
    const seed = async (id: string) => {
      await sql(
        `INSERT INTO measurements (time, sensor_id, metric, value)
         SELECT now() - i * interval '1 s', $1, m, i FROM generate_series(1, 3) i, unnest(ARRAY['a', 'b']) m`,
        [id],
      );
      await sql("INSERT INTO positions (time, sensor_id, lat, lon) VALUES (now(), $1, -33.4, -70.6)", [id]);
      await sql(
        `INSERT INTO sensor_logs (time, sensor_id, level, msg, msg_hash)
         VALUES (now(), $1, 'info', 'hello', 'h1'), (now(), $1, 'warn', 'careful', 'h2')`,
        [id],
      );
      await sql(
        "INSERT INTO sensor_presence_history (sensor_id, time, state, previous, reason) VALUES ($1, now(), 'online', 'offline', 'connected')",
        [id],
      );
    };
    const counts = async (id: string) => {
      const [r] = await sql<{ m: number; p: number; l: number; h: number; s: number }>(
        `SELECT (SELECT count(*)::int FROM measurements WHERE sensor_id = $1) AS m,
                (SELECT count(*)::int FROM positions WHERE sensor_id = $1) AS p,
                (SELECT count(*)::int FROM sensor_logs WHERE sensor_id = $1) AS l,
                (SELECT count(*)::int FROM sensor_presence_history WHERE sensor_id = $1) AS h,
                (SELECT count(*)::int FROM sensors WHERE id = $1) AS s`,
        [id],
      );
      return r;
    };

    const deletions = async (queue: string) =>
      (await vhost.readQueue(queue)).map((m) => JSON.parse(m.content.toString("utf8")) as Record<string, unknown>);

    it("without with_data removes the sensor and its presence history and keeps its data", async () => {
      await create("del-keep");
      await seed("del-keep");
      const r = await call("DELETE", "/api/sensors/del-keep");
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ id: "del-keep", with_data: false, deleted: { sensor: true }, data: "kept" });
      for (const queue of ["measurements.purge", "logs.purge"]) {
        expect(await deletions(queue), queue).toMatchObject([{ sensor_id: "del-keep", purge_data: false }]);
      }
      expect(await counts("del-keep")).toEqual({ m: 6, p: 1, l: 2, h: 0, s: 0 });
      // The data stays readable by id.
      const logs = await call("GET", "/api/sensors/del-keep/logs");
      expect(logs.status).toBe(200);
      expect((logs.body.items as unknown[]).length).toBe(2);
      expect((await call("GET", "/api/sensors/del-keep")).status).toBe(404);
    });

    it("with with_data=true answers 202 and asks each data owner to purge, writing none of their tables", async () => {
      await create("del-all");
      await seed("del-all");
      const r = await call("DELETE", "/api/sensors/del-all?with_data=true");
      expect(r.status).toBe(202);
      expect(r.body).toEqual({ id: "del-all", with_data: true, deleted: { sensor: true }, data: "purging" });
      // The API owns none of these tables: the ingesters purge them (test/e2e/purge.test.ts).
      expect(await counts("del-all")).toEqual({ m: 6, p: 1, l: 2, h: 0, s: 0 });
      for (const queue of ["measurements.purge", "logs.purge"]) {
        const events = await deletions(queue);
        expect(events, queue).toHaveLength(1);
        expect(events[0], queue).toMatchObject({ sensor_id: "del-all", purge_data: true });
        expect(sensorDeletedSchema.safeParse(events[0]).success).toBe(true);
      }
    });

    it("deletes nothing when the bus refuses the event (503 bus_unavailable, retry-after)", async () => {
      await create("del-nobus");
      // Nothing listens on port 1: the publish gives up after waiting for a connection.
      const noBus = await apiServer(
        { pool, logger: silentLogger(), auth: { token: TOKEN, readAccess: "token" } },
        "amqp://guest:guest@127.0.0.1:1",
      );
      apps.push(noBus);
      const r = await call("DELETE", "/api/sensors/del-nobus?with_data=true", { on: noBus });
      expect(r.status).toBe(503);
      expect(error(r.body).code).toBe("bus_unavailable");
      expect(r.headers["retry-after"]).toBe("5");
      expect((await counts("del-nobus"))?.s).toBe(1);
    });

    it("answers 404 for an unknown sensor and 400 for a bad with_data", async () => {
      const missing = await call("DELETE", "/api/sensors/nope-4?with_data=true");
      expect(missing.status).toBe(404);
      expect(error(missing.body).code).toBe("sensor_not_found");
      await create("del-bad");
      const bad = await call("DELETE", "/api/sensors/del-bad?with_data=maybe");
      expect(bad.status).toBe(400);
      expect(error(bad.body).message).toContain("with_data must be true or false");
      expect((await counts("del-bad"))?.s).toBe(1);
    });
  });

  describe("authentication", () => {
    it("refuses a missing or wrong bearer token with 401, saying how to authenticate", async () => {
      for (const headers of [{}, { authorization: "Bearer wrong-token" }, { authorization: `Basic ${TOKEN}` }]) {
        const w = await call("POST", "/api/sensors", { body: { id: "auth-1" }, headers });
        expect(w.status).toBe(401);
        expect(w.headers["www-authenticate"]).toBe('Bearer realm="sensorstream"');
        expect(error(w.body).code).toBe("unauthorized");
        expect(error(w.body).message).toMatch(/Authorization: Bearer <API_TOKEN>|not the configured API_TOKEN/);
        // Reads need it too when read access is "token".
        expect((await call("GET", "/api/sensors", { headers })).status).toBe(401);
      }
      expect((await sql("SELECT 1 FROM sensors WHERE id = 'auth-1'")).length).toBe(0);
    });

    it("checks the token before reading the body", async () => {
      const r = await app.inject({
        method: "POST",
        url: "/api/sensors",
        headers: { "content-type": "application/json" },
        payload: "{not json",
      });
      expect(r.statusCode).toBe(401);
    });

    it("with open read access, reads need no token and writes still do", async () => {
      const open = await apiServer({ pool, logger: silentLogger(), auth: { token: TOKEN, readAccess: "open" } });
      apps.push(open);
      expect((await call("GET", "/api/sensors", { headers: {}, on: open })).status).toBe(200);
      expect((await call("GET", "/api/sensors/crane-7/presence", { headers: {}, on: open })).status).toBe(200);
      expect((await call("POST", "/api/sensors", { body: { id: "auth-2" }, headers: {}, on: open })).status).toBe(401);
      expect((await call("POST", "/api/sensors", { body: { id: "auth-2" }, on: open })).status).toBe(201);
      // Credential management is never open.
      expect((await call("GET", "/api/subscribers", { headers: {}, on: open })).status).toBe(401);
    });

    it("without a configured token answers 503 to writes, saying to set API_TOKEN", async () => {
      const tokenless = await apiServer({
        pool,
        logger: silentLogger(),
        auth: { token: undefined, readAccess: "open" },
      });
      apps.push(tokenless);
      const w = await call("POST", "/api/sensors", { body: { id: "auth-3" }, on: tokenless });
      expect(w.status).toBe(503);
      expect(error(w.body).code).toBe("api_token_not_configured");
      expect(error(w.body).message).toContain("set API_TOKEN");
      expect((await call("DELETE", "/api/sensors/crane-7", { headers: {}, on: tokenless })).status).toBe(503);
      expect((await call("GET", "/api/sensors/crane-7", { headers: {}, on: tokenless })).status).toBe(200);
      expect((await sql("SELECT 1 FROM sensors WHERE id IN ('auth-3', 'crane-7')")).length).toBe(1);
    });
  });

  describe("logs", () => {
    const lines: Array<[string, string, string]> = [
      ["2026-03-01T10:00:00.000001Z", "debug", "boot"],
      ["2026-03-01T10:00:01.000000Z", "info", "sampling at 10 Hz"],
      ["2026-03-01T10:00:02.000000Z", "warn", "temperature high"],
      ["2026-03-01T10:00:02.000000Z", "error", "overheat"],
      ["2026-03-01T10:00:02.000000Z", "error", "shutting down"],
      ["2026-03-01T10:00:03.500000Z", "info", "cooling"],
      ["2026-03-01T10:00:04.000000Z", "debug", "heartbeat"],
    ];

    beforeAll(async () => {
      await create("logger-1");
      for (const [time, level, msg] of lines) {
        await sql(
          "INSERT INTO sensor_logs (time, sensor_id, level, msg, fields, msg_hash) VALUES ($1, 'logger-1', $2, $3, $4, md5($3))",
          [time, level, msg, JSON.stringify({ n: msg.length })],
        );
      }
    });

    const readAll = async (query: string, limit: number) => {
      const out: Array<{ time: string; level: string; msg: string }> = [];
      let before: string | null = null;
      for (let i = 0; i < 20; i++) {
        const r = await call(
          "GET",
          `/api/sensors/logger-1/logs?limit=${limit}${query}${before ? `&before=${before}` : ""}`,
        );
        expect(r.status).toBe(200);
        const page = r.body as { items: typeof out; next_before: string | null };
        expect(page.items.length).toBeLessThanOrEqual(limit);
        out.push(...page.items);
        before = page.next_before;
        if (before === null) break;
      }
      return out;
    };

    it("returns lines newest first, with microseconds and their extra fields", async () => {
      const r = await call("GET", "/api/sensors/logger-1/logs");
      expect(r.status).toBe(200);
      const items = r.body.items as Array<{ time: string; level: string; msg: string; fields: unknown }>;
      expect(items.map((l) => l.msg)).toHaveLength(7);
      expect(items[0]).toEqual({
        time: "2026-03-01T10:00:04.000000Z",
        level: "debug",
        msg: "heartbeat",
        fields: { n: 9 },
      });
      expect(items.at(-1)).toMatchObject({ time: "2026-03-01T10:00:00.000001Z", msg: "boot" });
      const times = items.map((l) => l.time);
      expect([...times].sort().reverse()).toEqual(times);
      expect(r.body.next_before).toBeNull();
    });

    it("pages through lines sharing a timestamp without skipping or repeating any", async () => {
      for (const limit of [1, 2, 3]) {
        const all = await readAll("", limit);
        expect(all.map((l) => l.msg).sort()).toEqual(lines.map(([, , m]) => m).sort());
        expect(new Set(all.map((l) => `${l.time}|${l.msg}`)).size).toBe(7);
      }
    });

    it("filters by level (that level or more severe) and by time (from inclusive, to exclusive)", async () => {
      const warn = await readAll("&level=warn", 2);
      expect(warn.map((l) => l.msg).sort()).toEqual(["overheat", "shutting down", "temperature high"]);
      const error = await readAll("&level=error", 10);
      expect(error.map((l) => l.level)).toEqual(["error", "error"]);
      const window = await readAll("&from=2026-03-01T10:00:01Z&to=2026-03-01T10:00:03.5Z", 2);
      expect(window.map((l) => l.msg).sort()).toEqual(
        ["sampling at 10 Hz", "temperature high", "overheat", "shutting down"].sort(),
      );
      const offset = await readAll("&from=2026-03-01T12:00:03.5%2B02:00", 10);
      expect(offset.map((l) => l.msg)).toEqual(["heartbeat", "cooling"]);
    });

    it("answers 400 for bad times, levels and cursors, and 404 for an id nobody knows", async () => {
      const cases: Array<[string, string]> = [
        ["from=yesterday", "is not an RFC 3339 timestamp"],
        ["to=2026-02-30T00:00:00Z", "is not a valid date and time"],
        ["from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "from must be earlier than to"],
        ["level=fatal", "level must be one of debug, info, warn, error"],
        ["before=garbage", "not a cursor of this listing"],
        ["limit=1001", "limit must be a whole number from 1 to 1000"],
      ];
      for (const [q, message] of cases) {
        const r = await call("GET", `/api/sensors/logger-1/logs?${q}`);
        expect(r.status, q).toBe(400);
        expect(error(r.body).code, q).toBe("invalid_query");
        expect(error(r.body).message, q).toContain(message);
      }
      // A presence cursor is not a logs cursor.
      await sql(
        "INSERT INTO sensor_presence_history (sensor_id, time, state, previous, reason) VALUES ('logger-1', now(), 'online', 'offline', 'connected'), ('logger-1', now() - interval '1 s', 'offline', null, 'disconnected')",
      );
      const p = await call("GET", "/api/sensors/logger-1/presence?limit=1");
      const foreign = await call("GET", `/api/sensors/logger-1/logs?before=${p.body.next_before as string}`);
      expect(foreign.status).toBe(400);

      const unknown = await call("GET", "/api/sensors/nobody-1/logs");
      expect(unknown.status).toBe(404);
      expect(error(unknown.body).code).toBe("sensor_not_found");
      await create("quiet-logs");
      const quiet = await call("GET", "/api/sensors/quiet-logs/logs");
      expect(quiet.status).toBe(200);
      expect(quiet.body).toEqual({ items: [], next_before: null });
    });
  });

  describe("measurements", () => {
    beforeAll(async () => {
      for (const id of ["m-fresh-1", "m-fresh-2", "m-hour-old", "m-stale"]) await create(id);
      await sql(
        `INSERT INTO measurements (time, sensor_id, metric, value) VALUES
           ('2026-01-01T00:00:00.000001Z', 'm-fresh-1', 'temp_c', 20.5),
           ('2026-01-01T00:00:05.123456Z', 'm-fresh-1', 'temp_c', 21.25),
           ('2026-01-01T00:00:05.123456Z', 'm-fresh-1', 'accel_rms', 0.82),
           ('2026-01-01T00:00:01Z', 'm-fresh-1', 'battery', 3.7),
           (now() - interval '10 seconds', 'm-fresh-1', 'speed', 52),
           (now() - interval '10 seconds', 'm-fresh-1', 'heading', 270),
           (now() - interval '20 seconds', 'm-fresh-1', 'speed', 50),
           (now() - interval '5 minutes', 'm-fresh-2', 'temp_c', 18),
           (now() - interval '30 minutes', 'm-fresh-2', 'temp_c', 17),
           (now() - interval '20 minutes', 'm-fresh-2', 'battery', 3.9),
           (now() - interval '90 minutes', 'm-hour-old', 'temp_c', 15),
           (now() - interval '40 days', 'm-stale', 'temp_c', 10),
           (now() - interval '10 minutes', 'm-unregistered', 'value', 1)`,
      );
      // What the measurement ingester keeps in the readings' transaction (the API reads "latest" from it).
      await sql(
        `INSERT INTO measurements_latest (sensor_id, metric, time, value)
         SELECT DISTINCT ON (sensor_id, metric) sensor_id, metric, time, value FROM measurements
          WHERE sensor_id LIKE 'm-%' ORDER BY sensor_id, metric, time DESC`,
      );
    });

    it("gives the latest value and time of every metric of a sensor", async () => {
      const r = await call("GET", "/api/sensors/m-fresh-1/measurements/latest");
      expect(r.status).toBe(200);
      const metrics = r.body.metrics as Array<{ metric: string; value: number; time: string }>;
      expect(metrics.map((m) => [m.metric, m.value])).toEqual([
        ["accel_rms", 0.82],
        ["battery", 3.7],
        ["heading", 270],
        ["speed", 52],
        ["temp_c", 21.25],
      ]);
      expect(metrics.find((m) => m.metric === "temp_c")?.time).toBe("2026-01-01T00:00:05.123456Z");
      expect(r.body.sensor_id).toBe("m-fresh-1");

      expect((await call("GET", "/api/sensors/rot-1/measurements/latest")).body).toEqual({
        sensor_id: "rot-1",
        metrics: [],
      });
      expect((await call("GET", "/api/sensors/nobody-2/measurements/latest")).status).toBe(404);
      // Readings of a sensor the registry does not know stay readable.
      const unregistered = await call("GET", "/api/sensors/m-unregistered/measurements/latest");
      expect(unregistered.status).toBe(200);
      expect(unregistered.body.metrics).toEqual([{ metric: "value", value: 1, time: expect.any(String) }]);
    });

    it("gives the latest reading of every sensor active within the window", async () => {
      const ours = (items: unknown) =>
        (items as Array<{ sensor_id: string; time: string; values: Record<string, number> }>).filter((i) =>
          i.sensor_id.startsWith("m-"),
        );
      const hour = await call("GET", "/api/measurements/latest?active_within=1h");
      expect(hour.status).toBe(200);
      expect(hour.body.active_within).toBe("1h");
      expect(Date.parse(hour.body.since as string)).toBeGreaterThan(Date.now() - 3_600_000 - 60_000);
      const items = ours(hour.body.items);
      expect(items.map((i) => i.sensor_id)).toEqual(["m-fresh-1", "m-fresh-2", "m-unregistered"]);
      // The newest timestamp's values only: speed and heading came together; battery is older than temp_c.
      expect(items[0]?.values).toEqual({ speed: 52, heading: 270 });
      expect(items[1]?.values).toEqual({ temp_c: 18 });
      expect(Date.parse(items[1]?.time ?? "")).toBeGreaterThan(Date.now() - 6 * 60_000);

      const byDefault = ours((await call("GET", "/api/measurements/latest")).body.items).map((i) => i.sensor_id);
      expect(byDefault).toEqual(["m-fresh-1", "m-fresh-2", "m-hour-old", "m-unregistered"]);
      const month = ours((await call("GET", "/api/measurements/latest?active_within=30d")).body.items);
      expect(month.map((i) => i.sensor_id)).toEqual(["m-fresh-1", "m-fresh-2", "m-hour-old", "m-unregistered"]);
      const fifty = ours((await call("GET", "/api/measurements/latest?active_within=50d")).body.items);
      expect(fifty.map((i) => i.sensor_id)).toContain("m-stale");
      const ninety = ours((await call("GET", "/api/measurements/latest?active_within=90s")).body.items);
      expect(ninety.map((i) => i.sensor_id)).toEqual(["m-fresh-1"]);
      const fifteen = ours((await call("GET", "/api/measurements/latest?active_within=15m")).body.items);
      expect(fifteen.map((i) => i.sensor_id)).toEqual(["m-fresh-1", "m-fresh-2", "m-unregistered"]);
    });

    it("pages through active sensors in id order", async () => {
      const seen: string[] = [];
      let after = "m-";
      for (let i = 0; i < 10; i++) {
        const r = await call("GET", `/api/measurements/latest?active_within=12h&limit=1&after=${after}`);
        expect(r.status).toBe(200);
        const items = r.body.items as Array<{ sensor_id: string }>;
        seen.push(...items.map((x) => x.sensor_id));
        if (r.body.next_after === null) break;
        after = r.body.next_after as string;
      }
      expect(seen.filter((s) => s.startsWith("m-"))).toEqual([
        "m-fresh-1",
        "m-fresh-2",
        "m-hour-old",
        "m-unregistered",
      ]);
    });

    it("refuses windows it cannot read, saying how to write one", async () => {
      for (const w of ["30", "1y", "1.5h", "0s", "367d", "1h30m", ""]) {
        const r = await call("GET", `/api/measurements/latest?active_within=${w}`);
        expect(r.status, w).toBe(400);
        expect(error(r.body).code).toBe("invalid_query");
        expect(error(r.body).message).toMatch(
          /active_within: .*(e\.g\. 90s, 15m, 12h, 30d|longer than zero|maximum, 366d)/,
        );
      }
    });
  });

  describe("presence history", () => {
    it("lists transitions newest first, a page at a time, including ones in the same instant", async () => {
      await create("pres-1");
      await sql(
        `INSERT INTO sensor_presence_history (sensor_id, time, state, previous, reason) VALUES
           ('pres-1', '2026-02-01T00:00:00Z', 'online', 'offline', 'connected'),
           ('pres-1', '2026-02-01T00:10:00.000001Z', 'asleep', 'online', 'status_online'),
           ('pres-1', '2026-02-01T01:00:00Z', 'online', 'asleep', 'status_online'),
           ('pres-1', '2026-02-01T01:00:00Z', 'silent', 'online', 'no_data'),
           ('pres-1', '2026-02-01T02:00:00Z', 'offline', 'silent', 'disconnected')`,
      );
      const all = await call("GET", "/api/sensors/pres-1/presence");
      expect(all.status).toBe(200);
      const items = all.body.items as Array<{ time: string; state: string; previous: string | null; reason: string }>;
      expect(items[0]).toEqual({
        time: "2026-02-01T02:00:00.000000Z",
        state: "offline",
        previous: "silent",
        reason: "disconnected",
      });
      expect(items.map((i) => i.time)).toEqual([
        "2026-02-01T02:00:00.000000Z",
        "2026-02-01T01:00:00.000000Z",
        "2026-02-01T01:00:00.000000Z",
        "2026-02-01T00:10:00.000001Z",
        "2026-02-01T00:00:00.000000Z",
      ]);

      const paged: string[] = [];
      let before: string | null = null;
      for (let i = 0; i < 10; i++) {
        const r = await call("GET", `/api/sensors/pres-1/presence?limit=1${before ? `&before=${before}` : ""}`);
        const page = r.body as { items: typeof items; next_before: string | null };
        paged.push(...page.items.map((x) => `${x.time} ${x.state}`));
        before = page.next_before;
        if (!before) break;
      }
      expect(paged).toEqual(items.map((x) => `${x.time} ${x.state}`));
    });

    it("answers 404 for an unknown sensor and an empty list for one without history", async () => {
      expect((await call("GET", "/api/sensors/nobody-3/presence")).status).toBe(404);
      await create("pres-2");
      expect((await call("GET", "/api/sensors/pres-2/presence")).body).toEqual({ items: [], next_before: null });
    });
  });

  describe("subscribers", () => {
    it("creates read-only MQTT credentials once, lists them without tokens, deletes them", async () => {
      const r = await call("POST", "/api/subscribers", {
        body: { name: "dashboard", topics: ["alerts/#", "sensors/+/status"] },
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({
        subscriber: { name: "dashboard", topics: ["alerts/#", "sensors/+/status"], created_at: expect.any(String) },
        username: "subscriber:dashboard",
        token: expect.any(String),
      });
      const [row] = await sql<{ token_hash: string }>(
        "SELECT token_hash FROM mqtt_subscribers WHERE name = 'dashboard'",
      );
      expect(row?.token_hash).toBe(hashToken(r.body.token as string));

      const dup = await call("POST", "/api/subscribers", { body: { name: "dashboard", topics: ["alerts/#"] } });
      expect(dup.status).toBe(409);
      expect(error(dup.body).code).toBe("subscriber_exists");

      const list = await call("GET", "/api/subscribers");
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([
        { name: "dashboard", topics: ["alerts/#", "sensors/+/status"], created_at: expect.any(String) },
      ]);

      expect((await call("DELETE", "/api/subscribers/dashboard")).body).toEqual({ name: "dashboard", deleted: true });
      const gone = await call("DELETE", "/api/subscribers/dashboard");
      expect(gone.status).toBe(404);
      expect(error(gone.body).code).toBe("subscriber_not_found");
      expect(await sql("SELECT 1 FROM mqtt_subscribers")).toEqual([]);
    });

    it("refuses invalid names and topic filters, naming each problem", async () => {
      const r = await call("POST", "/api/subscribers", {
        body: { name: "ops", topics: ["alerts/#/x", "$SYS/#", "sensors/a+/data", ""] },
      });
      expect(r.status).toBe(400);
      expect(error(r.body).details).toEqual([
        { path: "body.topics.0", message: "# must be the last level (e.g. alerts/#)" },
        { path: "body.topics.1", message: "topics starting with $ (such as $SYS) cannot be granted" },
        { path: "body.topics.2", message: '+ and # must fill a whole level; "a+" mixes them with other characters' },
        { path: "body.topics.3", message: "a topic filter cannot be empty" },
      ]);
      const noTopics = await call("POST", "/api/subscribers", { body: { name: "ops", topics: [] } });
      expect(error(noTopics.body).message).toContain("grant at least one topic filter");
      const badName = await call("POST", "/api/subscribers", { body: { name: "a b", topics: ["alerts/#"] } });
      expect(error(badName.body).message).toContain("a subscriber name is");
      expect(await sql("SELECT 1 FROM mqtt_subscribers")).toEqual([]);
    });
  });

  describe("documentation", () => {
    it("serves an OpenAPI 3 document describing every route, with the bearer scheme", async () => {
      const r = await app.inject({ method: "GET", url: "/openapi.json" });
      expect(r.statusCode).toBe(200);
      const doc = r.json() as {
        openapi: string;
        info: { title: string };
        paths: Record<string, Record<string, { security?: unknown; parameters?: Array<{ name: string; in: string }> }>>;
        components: { securitySchemes: Record<string, unknown> };
      };
      expect(doc.openapi).toMatch(/^3\.1\./);
      expect(doc.info.title).toBe("sensorstream API");
      const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
      expect(routes.sort()).toEqual(
        [
          "get /api/sensors",
          "post /api/sensors",
          "get /api/sensors/{id}",
          "patch /api/sensors/{id}",
          "delete /api/sensors/{id}",
          "post /api/sensors/{id}/token",
          "get /api/sensors/{id}/presence",
          "get /api/sensors/{id}/logs",
          "get /api/sensors/{id}/measurements/latest",
          "get /api/sensors/{id}/measurements",
          "get /api/stream",
          "get /api/measurements",
          "get /api/sensors/{id}/track",
          "get /api/measurements/latest",
          "post /api/subscribers",
          "get /api/subscribers",
          "delete /api/subscribers/{name}",
          "post /api/sensors/{id}/commands",
          "get /api/sensors/{id}/commands",
          "post /api/commands",
          "get /api/commands/{command_id}",
          "post /api/alarm-rules",
          "get /api/alarm-rules",
          "get /api/alarm-rules/{rule_id}",
          "patch /api/alarm-rules/{rule_id}",
          "delete /api/alarm-rules/{rule_id}",
          "get /api/alarms",
          "get /api/alarms/{alarm_id}",
          "post /api/alarms/{alarm_id}/ack",
        ].sort(),
      );
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
      expect(doc.paths["/api/sensors"]?.post?.security).toEqual([{ bearer: [] }]);
      const logParams = doc.paths["/api/sensors/{id}/logs"]?.get?.parameters?.map((p) => `${p.in}:${p.name}`);
      expect(logParams?.sort()).toEqual(
        ["path:id", "query:from", "query:to", "query:level", "query:limit", "query:before"].sort(),
      );
      expect(JSON.stringify(doc)).toContain("sensor_not_found");
      // Generated from the routes' zod schemas: the request body's limits and the delete's asynchronous answer.
      const raw = r.json() as {
        paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
      };
      const post = raw.paths["/api/sensors"]?.post;
      expect(post?.requestBody).toMatchObject({
        content: { "application/json": { schema: { required: ["id"], additionalProperties: false } } },
      });
      expect(raw.paths["/api/sensors/{id}"]?.delete?.responses["202"]).toMatchObject({
        description: "deleted; the purge of its data is asynchronous",
        content: { "application/json": { schema: { properties: { data: { enum: ["kept", "purging"] } } } } },
      });
    });

    it("serves Swagger UI at /docs from the package's own assets", async () => {
      const html = await app.inject({ method: "GET", url: "/docs" });
      expect(html.statusCode).toBe(200);
      expect(html.headers["content-type"]).toContain("text/html");
      expect(html.body).toContain("swagger-ui");
      const js = await app.inject({ method: "GET", url: "/docs/static/swagger-ui-bundle.js" });
      expect(js.statusCode).toBe(200);
      expect(js.body.length).toBeGreaterThan(100_000);
      const spec = await app.inject({ method: "GET", url: "/docs/json" });
      expect(spec.json()).toMatchObject({ openapi: expect.stringMatching(/^3\./) });
    });
  });

  describe("errors", () => {
    it("answers unknown routes with a JSON 404", async () => {
      for (const [method, url] of [
        ["GET", "/api/nothing"],
        ["PUT", "/api/sensors/crane-7"],
        ["GET", "/elsewhere"],
      ] as const) {
        const r = await app.inject({ method, url, headers: auth });
        expect(r.statusCode).toBe(404);
        expect(r.json()).toEqual({
          error: { code: "route_not_found", message: `no route ${method} ${url}; the API is described at /docs` },
        });
      }
    });

    it("answers 413 for a body that is too large and 400 for one that is not JSON", async () => {
      const big = await call("POST", "/api/sensors", {
        body: { id: "big-1", metadata: { blob: "x".repeat(70_000) } },
      });
      expect(big.status).toBe(413);
      expect(error(big.body).code).toBe("payload_too_large");
      const r = await app.inject({
        method: "POST",
        url: "/api/sensors",
        headers: { ...auth, "content-type": "application/json" },
        payload: "{not json",
      });
      expect(r.statusCode).toBe(400);
      expect((r.json() as ErrorBody).error.code).toBe("invalid_json");
      const text = await app.inject({
        method: "POST",
        url: "/api/sensors",
        headers: { ...auth, "content-type": "text/plain" },
        payload: "id=x",
      });
      expect(text.statusCode).toBe(415);
      expect((await sql("SELECT 1 FROM sensors WHERE id = 'big-1'")).length).toBe(0);
    });

    it("hides internals in a 500 and logs the error", async () => {
      const logger = silentLogger();
      const logged = vi.spyOn(logger, "error");
      const broken = {
        query: async () => {
          throw new Error("relation secret_table is corrupt at 0xdeadbeef");
        },
      } as unknown as Pool;
      const bad = await apiServer({ pool: broken, logger, auth: { token: TOKEN, readAccess: "token" } });
      apps.push(bad);
      const r = await call("GET", "/api/sensors", { on: bad });
      expect(r.status).toBe(500);
      expect(error(r.body).code).toBe("internal_error");
      expect(JSON.stringify(r.body)).not.toContain("secret_table");
      expect(error(r.body).message).toMatch(/it has been logged \(request req-/);
      expect(logged).toHaveBeenCalledTimes(1);
      const [fields] = logged.mock.calls[0] as unknown as [{ err: Error; route: string }];
      expect(fields.err.message).toContain("secret_table");
      expect(fields.route).toBe("/api/sensors");
    });

    it("answers 503 database_unavailable while the database is unreachable", async () => {
      const down = new pg.Pool({
        connectionString: "postgresql://postgres@127.0.0.1:1/none",
        connectionTimeoutMillis: 2_000,
      });
      down.on("error", () => {});
      const api = await apiServer({ pool: down, logger: silentLogger(), auth: { token: TOKEN, readAccess: "token" } });
      apps.push(api);
      const r = await call("GET", "/api/sensors/crane-7", { on: api });
      expect(r.status).toBe(503);
      expect(error(r.body).code).toBe("database_unavailable");
      expect(r.headers["retry-after"]).toBe("5");
      await down.end();
    });
  });
});
