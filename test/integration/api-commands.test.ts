import { COMMAND_NAMES } from "@sensorstream/contracts";
import amqp from "amqplib";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TestVhost } from "../fixtures/amqp.js";
import { startTestApi, type TestApi } from "../fixtures/api.js";
import type { TestDatabase } from "../fixtures/pg.js";
import { describeRabbitMq } from "../fixtures/rabbitmq-only.js";

const TOKEN = "test-api-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };
/** Stands in for a gateway replica's queue: what the API publishes to sensors. */
const OUTBOUND = "test.outbound";

type Cmd = {
  command_id: string;
  sensor_id: string;
  name: string;
  args: unknown;
  state: string;
  issued_at: string;
  expires_at: string;
};
type ErrorBody = { error: { code: string; details?: Array<{ path: string; message: string }> } };

describeRabbitMq("HTTP API: commands", () => {
  let t: TestApi;
  let db: TestDatabase;
  let vhost: TestVhost;
  let app: TestApi["app"];
  let conn: amqp.ChannelModel;

  const call = async (method: "GET" | "POST", url: string, body?: unknown, headers: Record<string, string> = auth) => {
    const res = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  };
  const sensor = (id: string, type: string) => call("POST", "/api/sensors", { id, type });
  const published = async () =>
    (await vhost.readQueue(OUTBOUND)).map((m) => ({ key: m.routingKey, body: JSON.parse(m.content.toString()) }));

  beforeAll(async () => {
    t = await startTestApi("api_commands", TOKEN);
    ({ db, vhost, app } = t);
    await app.ready();
    conn = await amqp.connect(vhost.url);
    const ch = await conn.createChannel();
    // The API declares the exchange once its bus has connected, which may be after app.ready(): not a race to lose.
    await ch.assertExchange("sensor_streaming", "topic", { durable: true });
    await ch.assertQueue(OUTBOUND, { durable: true });
    for (const name of COMMAND_NAMES) await ch.bindQueue(OUTBOUND, "sensor_streaming", `*.commands.${name}`);
    for (const [id, type] of [
      ["pump-1", "pump"],
      ["pump-2", "pump"],
      ["fan-1", "fan"],
    ] as const) {
      expect((await sensor(id, type)).status).toBe(201);
    }
  }, 60_000);

  afterAll(async () => {
    await conn?.close();
    await t?.close();
  });

  it("issues a command: 202 with the queued command, stored, published, and the desired rate set", async () => {
    const r = await call("POST", "/api/sensors/pump-1/commands", {
      name: "change_sample_frequency",
      args: { hz: 4 },
      ttl_s: 60,
    });
    expect(r.status).toBe(202);
    const cmd = r.body as Cmd;
    expect(cmd).toMatchObject({
      sensor_id: "pump-1",
      name: "change_sample_frequency",
      args: { hz: 4 },
      state: "queued",
    });
    expect(Date.parse(cmd.expires_at) - Date.parse(cmd.issued_at)).toBe(60_000);
    expect(await published()).toStrictEqual([
      {
        key: "sensor_pump-1.commands.change_sample_frequency",
        body: {
          command_id: cmd.command_id,
          name: cmd.name,
          args: { hz: 4 },
          issued_at: cmd.issued_at,
          expires_at: cmd.expires_at,
        },
      },
    ]);
    const got = await call("GET", `/api/commands/${cmd.command_id}`);
    expect(got.body).toMatchObject({ command_id: cmd.command_id, state: "queued" });
    const s = await call("GET", "/api/sensors/pump-1");
    expect(s.body).toMatchObject({ desired: { sample_hz: 4 }, in_sync: false });
  });

  it("defaults args to {} and ttl_s to 300 s for sleep, and sets the desired mode", async () => {
    const r = await call("POST", "/api/sensors/fan-1/commands", { name: "sleep" });
    expect(r.status).toBe(202);
    const cmd = r.body as Cmd;
    expect(cmd.args).toStrictEqual({});
    expect(Date.parse(cmd.expires_at) - Date.parse(cmd.issued_at)).toBe(300_000);
    expect((await call("GET", "/api/sensors/fan-1")).body).toMatchObject({ desired: { mode: "asleep" } });
    await published();
  });

  it("refuses an unknown sensor (404), a bad name or bad args (400 naming the field), and a missing token (401)", async () => {
    const unknown = await call("POST", "/api/sensors/nope/commands", { name: "sleep" });
    expect(unknown.status).toBe(404);
    expect((unknown.body as ErrorBody).error.code).toBe("sensor_not_found");
    const badName = await call("POST", "/api/sensors/pump-1/commands", { name: "explode" });
    expect(badName.status).toBe(400);
    expect((badName.body as ErrorBody).error.details?.map((d) => d.path)).toContain("body.name");
    for (const args of [{}, { hz: 0 }, { hz: "fast" }]) {
      const bad = await call("POST", "/api/sensors/pump-1/commands", { name: "change_sample_frequency", args });
      expect(bad.status).toBe(400);
      expect((bad.body as ErrorBody).error.details?.map((d) => d.path)).toContain("body.args.hz");
    }
    const extra = await call("POST", "/api/sensors/pump-1/commands", { name: "awake", args: { hz: 1 } });
    expect(extra.status).toBe(400);
    const noToken = await call("POST", "/api/sensors/pump-1/commands", { name: "sleep" }, {});
    expect(noToken.status).toBe(401);
    expect(await published()).toStrictEqual([]);
  });

  it("issues one command per selected sensor: by ids, by type, all; unknown ids issue nothing", async () => {
    const byIds = await call("POST", "/api/commands", { name: "awake", sensor_ids: ["pump-1", "fan-1"] });
    expect(byIds.status).toBe(202);
    expect(byIds.body.count).toBe(2);
    expect((byIds.body.items as Cmd[]).map((c) => c.sensor_id).sort()).toStrictEqual(["fan-1", "pump-1"]);
    const byType = await call("POST", "/api/commands", { name: "sleep", type: "pump" });
    expect((byType.body.items as Cmd[]).map((c) => c.sensor_id)).toStrictEqual(["pump-1", "pump-2"]);
    const all = await call("POST", "/api/commands", { name: "sleep", all: true });
    expect(all.body.count).toBe(3);
    expect((await published()).length).toBe(7);

    const missing = await call("POST", "/api/commands", { name: "sleep", sensor_ids: ["pump-1", "ghost"] });
    expect(missing.status).toBe(404);
    const none = await call("POST", "/api/commands", { name: "sleep" });
    expect(none.status).toBe(400);
    const two = await call("POST", "/api/commands", { name: "sleep", all: true, type: "pump" });
    expect(two.status).toBe(400);
    expect(await published()).toStrictEqual([]);
  });

  it("lists a sensor's commands newest first, by state, a page at a time", async () => {
    const first = await call("GET", "/api/sensors/pump-1/commands?limit=2");
    expect(first.status).toBe(200);
    const items = first.body.items as Cmd[];
    expect(items.map((c) => c.name)).toStrictEqual(["sleep", "sleep"]);
    const rest = await call("GET", `/api/sensors/pump-1/commands?limit=10&before=${first.body.next_before}`);
    expect((rest.body.items as Cmd[]).map((c) => c.name)).toStrictEqual(["awake", "change_sample_frequency"]);
    expect(rest.body.next_before).toBeNull();
    await db.query("UPDATE commands SET state = 'acked' WHERE sensor_id = 'pump-1' AND name = 'awake'");
    const acked = await call("GET", "/api/sensors/pump-1/commands?state=acked");
    expect((acked.body.items as Cmd[]).map((c) => c.name)).toStrictEqual(["awake"]);
    expect((await call("GET", "/api/sensors/nope/commands")).status).toBe(404);
    expect((await call("GET", "/api/commands/4f0c2e9a-0000-4000-8000-000000000000")).status).toBe(404);
  });
});
