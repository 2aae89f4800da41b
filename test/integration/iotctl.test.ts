/**
 * iotctl against the real HTTP API (PostgreSQL behind it): what `-o json` prints is what the API holds,
 * and its errors and exit codes follow the API's answers. No gateway or sensor runs here, so a command stays
 * queued (the delivery path has its own tests).
 */
import { EXIT } from "@sensorstream/iotctl";
import { listen } from "@sensorstream/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../fixtures/api.js";
import { iotctl } from "../fixtures/iotctl.js";

const TOKEN = "iotctl-api-token-0123456789";

describe("iotctl against the HTTP API", () => {
  let t: TestApi;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApi("iotctl", TOKEN);
    const url = `http://127.0.0.1:${await listen(t.app, 0, "127.0.0.1")}`;
    env = { IOTCTL_API: url, IOTCTL_TOKEN: TOKEN };
    for (const [id, type] of [
      ["crane-1", "vibration"],
      ["crane-2", "vibration"],
      ["room-1", "temperature"],
    ]) {
      const res = await fetch(`${url}/api/sensors`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ id, type, metadata: { site: "dock 4" } }),
      });
      expect(res.status).toBe(201);
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  it("sensors list -o json prints the registered sensors, filtered by type", async () => {
    const all = await iotctl(["sensors", "list", "-o", "json"], env);
    expect(all.code).toBe(EXIT.ok);
    const sensors = JSON.parse(all.stdout) as { id: string; type: string; presence: string; in_sync: boolean }[];
    expect(sensors.map((s) => [s.id, s.type])).toStrictEqual([
      ["crane-1", "vibration"],
      ["crane-2", "vibration"],
      ["room-1", "temperature"],
    ]);
    const vib = await iotctl(["sensors", "list", "--type", "vibration", "--limit", "1", "-o", "json"], env);
    expect((JSON.parse(vib.stdout) as { id: string }[]).map((s) => s.id)).toStrictEqual(["crane-1"]);
    const online = await iotctl(["sensors", "list", "--state", "online", "-o", "json"], env);
    expect(JSON.parse(online.stdout)).toStrictEqual([]);
  });

  it("sensors get -o json prints the API's sensor, the same as GET /api/sensors/{id}", async () => {
    const r = await iotctl(["sensors", "get", "room-1", "-o", "json"], env);
    expect(r.code).toBe(EXIT.ok);
    const direct = await fetch(`${env.IOTCTL_API}/api/sensors/room-1`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(JSON.parse(r.stdout)).toStrictEqual(await direct.json());
    expect(JSON.parse(r.stdout)).toMatchObject({ id: "room-1", type: "temperature", metadata: { site: "dock 4" } });
  });

  it("maps the API's 404 and 401 to messages that say what to do, and exit 3", async () => {
    const unknown = await iotctl(["sensors", "get", "nope-1"], env);
    expect(unknown.code).toBe(EXIT.api);
    expect(unknown.stderr).toMatch(/^iotctl: unknown sensor: there is no sensor "nope-1"/);
    const { IOTCTL_TOKEN: _t, ...noToken } = env;
    const refused = await iotctl(["sensors", "list"], noToken);
    expect(refused.code).toBe(EXIT.api);
    expect(refused.stderr).toMatch(/the API needs a token: set IOTCTL_TOKEN/);
  });

  it("sleep <id> -o json issues a command that commands get and commands list then show", async () => {
    const r = await iotctl(["sleep", "crane-1", "--ttl", "60", "-o", "json"], env);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toBe("issued sleep to 1 sensor(s)\n");
    const issued = JSON.parse(r.stdout) as { count: number; items: { command_id: string; expires_at: string }[] };
    expect(issued).toMatchObject({
      count: 1,
      items: [{ sensor_id: "crane-1", name: "sleep", args: {}, state: "queued" }],
    });
    const id = issued.items[0]?.command_id ?? "";
    const got = await iotctl(["commands", "get", id, "-o", "json"], env);
    expect(JSON.parse(got.stdout)).toStrictEqual(issued.items[0]);
    const listed = await iotctl(["commands", "list", "crane-1", "--state", "queued", "-o", "json"], env);
    expect((JSON.parse(listed.stdout) as { command_id: string }[]).map((c) => c.command_id)).toStrictEqual([id]);
    const sensor = await iotctl(["sensors", "get", "crane-1", "-o", "json"], env);
    expect(JSON.parse(sensor.stdout)).toMatchObject({ desired: { mode: "asleep" }, in_sync: false });
  });

  it("set-frequency --type issues one command per sensor of the type; --wait times out while they stay queued", async () => {
    const r = await iotctl(["set-frequency", "4", "--type", "vibration", "--wait", "--timeout", "0.3"], env);
    expect(r.code).toBe(EXIT.timeout);
    const out = JSON.parse(r.stdout) as { count: number; items: { sensor_id: string; args: unknown; state: string }[] };
    expect(out.count).toBe(2);
    expect(out.items.map((c) => [c.sensor_id, c.args, c.state]).sort()).toStrictEqual([
      ["crane-1", { hz: 4 }, "queued"],
      ["crane-2", { hz: 4 }, "queued"],
    ]);
    expect(r.stderr).toMatch(/waiting: 2 command\(s\): 0 acked, 0 failed, 0 expired, 2 pending \(2 queued, 0 sent\)/);
    const unknown = await iotctl(["awake", "crane-1", "nope-2"], env);
    expect(unknown.code).toBe(EXIT.api);
    expect(unknown.stderr).toMatch(/unknown sensor: not registered: nope-2; nothing was issued/);
  });
});
