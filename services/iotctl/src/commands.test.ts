import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "./errors.js";
import { run } from "./run.js";
import { FakeApi, recordingIo } from "./test-support.js";

type Issued = {
  items: { command_id: string; sensor_id: string; state: string; error: string | null }[];
  count: number;
};

describe("iotctl commands", () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await new FakeApi([
      { id: "ok-1", type: "vibration", presence: "online" },
      { id: "ok-2", type: "vibration", presence: "online" },
      { id: "bad-1", type: "flaky", presence: "online", fate: ["sent", "failed"] },
      { id: "gone-1", type: "gone", presence: "offline", fate: ["expired"] },
      { id: "mute-1", type: "mute", presence: "offline", fate: [] },
    ]).start();
  });
  afterAll(() => api.stop());

  const iotctl = async (
    args: string[],
    env: Record<string, string> = { IOTCTL_TOKEN: FakeApi.token },
    stderrTty = false,
  ) => {
    const r = recordingIo({ env, stderrTty });
    const code = await run(["--api", api.url, ...args], r.io);
    return { code, stdout: r.stdout(), stderr: r.stderr() };
  };
  const posts = () => api.requests.filter((q) => q.method === "POST");

  it("sends one sensor's command on its own route, with the token, and prints {count, items}", async () => {
    const r = await iotctl(["sleep", "ok-1", "--ttl", "30"]);
    expect(r.code).toBe(EXIT.ok);
    const last = posts().at(-1);
    expect(last).toMatchObject({
      path: "/api/sensors/ok-1/commands",
      auth: `Bearer ${FakeApi.token}`,
      body: { name: "sleep", args: {}, ttl_s: 30 },
    });
    const out = JSON.parse(r.stdout) as Issued;
    expect(out.count).toBe(1);
    expect(out.items[0]).toMatchObject({ sensor_id: "ok-1", state: "queued" });
    expect(r.stderr).toBe("issued sleep to 1 sensor(s)\n");
  });

  it("sends to several ids, a type or all in one request, and leaves ttl_s to the API when not given", async () => {
    await iotctl(["awake", "ok-1", "ok-2"]);
    expect(posts().at(-1)).toMatchObject({
      path: "/api/commands",
      body: { name: "awake", args: {}, sensor_ids: ["ok-1", "ok-2"] },
    });
    expect(posts().at(-1)?.body).not.toHaveProperty("ttl_s");
    const t = await iotctl(["set-frequency", "2.5", "--type", "vibration"]);
    expect(posts().at(-1)?.body).toStrictEqual({
      name: "change_sample_frequency",
      args: { hz: 2.5 },
      type: "vibration",
    });
    expect((JSON.parse(t.stdout) as Issued).count).toBe(2);
    const all = await iotctl(["sleep", "--all"]);
    expect(posts().at(-1)?.body).toStrictEqual({ name: "sleep", args: {}, all: true });
    expect((JSON.parse(all.stdout) as Issued).count).toBe(5);
  });

  it("reads the bulk answer's list under `commands` too (issue 9's wording), and prints it as {count, items}", async () => {
    api.bulkListKey = "commands";
    const r = await iotctl(["sleep", "ok-1", "ok-2", "--wait"]);
    api.bulkListKey = "items";
    expect(r.code).toBe(EXIT.ok);
    const out = JSON.parse(r.stdout) as Issued;
    expect(out.count).toBe(2);
    expect(out.items.map((c) => [c.sensor_id, c.state])).toStrictEqual([
      ["ok-1", "acked"],
      ["ok-2", "acked"],
    ]);
  });

  it("refuses a missing or double selection and a bad rate before sending anything (exit 2)", async () => {
    const before = api.requests.length;
    for (const args of [
      ["sleep"],
      ["sleep", "ok-1", "--all"],
      ["awake", "--all", "--type", "vibration"],
      ["set-frequency", "0", "ok-1"],
      ["set-frequency", "fast", "ok-1"],
      ["sleep", "ok-1", "--ttl", "-5"],
      ["sleep", "ok-1", "--wait", "--timeout", "soon"],
    ]) {
      const r = await iotctl(args);
      expect(r.code, args.join(" ")).toBe(EXIT.usage);
      expect(r.stderr, args.join(" ")).not.toBe("");
    }
    expect(api.requests.length).toBe(before);
  });

  it("says a selection that matched nothing sent nothing (exit 1)", async () => {
    const r = await iotctl(["sleep", "--type", "no-such-type"]);
    expect(r.code).toBe(EXIT.notAcked);
    expect(r.stderr).toMatch(/no sensor matched the selection; nothing was sent/);
  });

  it("--wait exits 0 when every command was acked, with a progress line per change on stderr", async () => {
    const r = await iotctl(["sleep", "--type", "vibration", "--wait"]);
    expect(r.code).toBe(EXIT.ok);
    const out = JSON.parse(r.stdout) as Issued;
    expect(out.items.map((c) => c.state)).toStrictEqual(["acked", "acked"]);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("waiting: "))).toStrictEqual([
      "waiting: 2 command(s): 0 acked, 0 failed, 0 expired, 2 pending (2 queued, 0 sent)",
      "waiting: 2 command(s): 0 acked, 0 failed, 0 expired, 2 pending (0 queued, 2 sent)",
      "waiting: 2 command(s): 2 acked, 0 failed, 0 expired, 0 pending (0 queued, 0 sent)",
    ]);
  });

  it("--wait exits 1 when a command failed or expired, and shows the sensor's error", async () => {
    const failed = await iotctl(["awake", "ok-1", "bad-1", "--wait"]);
    expect(failed.code).toBe(EXIT.notAcked);
    const out = JSON.parse(failed.stdout) as Issued;
    expect(out.items.map((c) => [c.sensor_id, c.state, c.error])).toStrictEqual([
      ["ok-1", "acked", null],
      ["bad-1", "failed", "sensor refused"],
    ]);
    expect(failed.stderr).toMatch(/not every command was acked/);
    expect((await iotctl(["sleep", "gone-1", "--wait"])).code).toBe(EXIT.notAcked);
  });

  it("--wait gives up after --timeout with commands still pending (exit 4)", async () => {
    const r = await iotctl(["sleep", "mute-1", "ok-2", "--wait", "--timeout", "0.1"]);
    expect(r.code).toBe(EXIT.timeout);
    const out = JSON.parse(r.stdout) as Issued;
    expect(Object.fromEntries(out.items.map((c) => [c.sensor_id, c.state]))).toStrictEqual({
      "mute-1": "queued",
      "ok-2": "acked",
    });
    expect(r.stderr).toMatch(/gave up waiting after 0.1 s/);
  });

  it("--wait rewrites one progress line in place on a terminal", async () => {
    const r = await iotctl(["sleep", "ok-1", "--wait"], undefined, true);
    expect(r.code).toBe(EXIT.ok);
    const frames = r.stderr.split("\r\x1b[2K").slice(1);
    expect(frames.at(0)).toBe("waiting: 1 command(s): 0 acked, 0 failed, 0 expired, 1 pending (1 queued, 0 sent)");
    expect(frames.at(-1)).toBe("waiting: 1 command(s): 1 acked, 0 failed, 0 expired, 0 pending (0 queued, 0 sent)\n");
  });

  it("--wait waits out an API that answers 503 for a while", async () => {
    api.unavailableCommandGets = 2;
    const r = await iotctl(["sleep", "ok-1", "--wait"]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr.match(/the API answered 503 database_unavailable.*asking again until the timeout/g)?.length).toBe(
      2,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ items: [{ state: "acked" }] });
  });

  it("gets a command and lists a sensor's commands with a state filter and the next page's cursor", async () => {
    const issued = JSON.parse((await iotctl(["sleep", "mute-1"])).stdout) as Issued;
    const id = issued.items[0]?.command_id ?? "";
    const got = await iotctl(["commands", "get", id]);
    expect(JSON.parse(got.stdout)).toMatchObject({ command_id: id, sensor_id: "mute-1", state: "queued" });
    const list = await iotctl(["commands", "list", "mute-1", "--state", "queued", "--limit", "1"]);
    expect(api.requests.at(-1)?.query).toStrictEqual({ state: "queued", limit: "1" });
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(1);
    expect(list.stderr).toMatch(/older commands: iotctl commands list mute-1 --before cursor-2/);
    const table = await iotctl(["commands", "list", "mute-1", "-o", "table"]);
    expect(table.stdout).toMatch(/^COMMAND_ID\s+SENSOR\s+NAME\s+ARGS\s+STATE/);
    const unknown = await iotctl(["commands", "get", "00000000-0000-0000-0000-000000000000"]);
    expect(unknown.code).toBe(EXIT.api);
    expect(unknown.stderr).toMatch(/404 command_not_found: there is no command/);
  });
});
