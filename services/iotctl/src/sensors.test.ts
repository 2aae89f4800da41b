import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "./errors.js";
import { run } from "./run.js";
import { FakeApi, recordingIo } from "./test-support.js";

describe("iotctl sensors", () => {
  let api: FakeApi;
  const sensors = [
    { id: "crane-1", type: "vibration", presence: "online" },
    { id: "crane-2", type: "vibration", presence: "asleep" },
    { id: "pump-1", type: "vibration", presence: "online" },
    { id: "room-1", type: "temperature", presence: "online" },
  ];
  beforeAll(async () => {
    api = await new FakeApi(sensors).start();
  });
  afterAll(() => api.stop());

  const iotctl = async (args: string[], o: Parameters<typeof recordingIo>[0] = {}) => {
    const r = recordingIo(o);
    const code = await run(["--api", api.url, ...args], r.io);
    return { code, stdout: r.stdout(), stderr: r.stderr() };
  };

  it("lists every page as a JSON array, with the filters passed as type and presence", async () => {
    const r = await iotctl(["sensors", "list", "--type", "vibration", "--state", "online", "-o", "json"]);
    expect(r.code).toBe(EXIT.ok);
    expect((JSON.parse(r.stdout) as { id: string }[]).map((s) => s.id)).toStrictEqual(["crane-1", "pump-1"]);
    const all = await iotctl(["sensors", "list", "-o", "json"]);
    expect((JSON.parse(all.stdout) as { id: string }[]).map((s) => s.id)).toStrictEqual(sensors.map((s) => s.id));
    const listed = api.requests.filter((q) => q.path === "/api/sensors");
    expect(listed[0]?.query).toMatchObject({ type: "vibration", presence: "online" });
    // Four sensors at two a page: the second request continues after the first page's last id.
    expect(listed.slice(-2).map((q) => q.query.after)).toStrictEqual([undefined, "crane-2"]);
  });

  it("stops at --limit", async () => {
    const r = await iotctl(["sensors", "list", "--limit", "3"]);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(3);
  });

  it("prints a table on a terminal and JSON to a pipe, unless -o says otherwise", async () => {
    const tty = await iotctl(["sensors", "list", "--type", "temperature"], { tty: true });
    expect(tty.stdout.split("\n")[0]).toMatch(/^ID\s+TYPE\s+PRESENCE\s+MODE\s+HZ\s+IN_SYNC\s+LAST_SEEN$/);
    expect(tty.stdout.split("\n")[1]).toMatch(/^room-1\s+temperature\s+online\s+awake\s+2\s+true\s+-$/);
    expect(tty.stderr).toBe("1 sensor(s)\n");
    const piped = await iotctl(["sensors", "list", "--type", "temperature"]);
    expect(JSON.parse(piped.stdout)).toMatchObject([{ id: "room-1" }]);
    const forced = await iotctl(["sensors", "list", "--type", "temperature", "-o", "table"]);
    expect(forced.stdout.startsWith("ID ")).toBe(true);
  });

  it("gets one sensor as JSON or as field/value lines", async () => {
    const j = await iotctl(["sensors", "get", "crane-2", "-o", "json"]);
    expect(JSON.parse(j.stdout)).toMatchObject({ id: "crane-2", presence: "asleep", reported: { mode: "awake" } });
    const t = await iotctl(["sensors", "get", "crane-2", "-o", "table"]);
    expect(t.stdout).toMatch(/^reported\.mode\s+awake$/m);
    expect(t.stdout).toMatch(/^presence\s+asleep$/m);
  });

  it("says an unknown sensor is unknown (exit 3, nothing on stdout)", async () => {
    const r = await iotctl(["sensors", "get", "nope-9"]);
    expect(r.code).toBe(EXIT.api);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/unknown sensor: there is no sensor "nope-9" \(iotctl sensors list shows them\)/);
  });

  it("refuses a malformed id or filter before asking the API (exit 2)", async () => {
    const before = api.requests.length;
    expect((await iotctl(["sensors", "get", "a.b"])).code).toBe(EXIT.usage);
    const bad = await iotctl(["sensors", "list", "--state", "sleepy"]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/Allowed choices are online, offline, asleep, silent/);
    expect((await iotctl(["sensors", "list", "-o", "yaml"])).code).toBe(EXIT.usage);
    expect(api.requests.length).toBe(before);
  });
});
