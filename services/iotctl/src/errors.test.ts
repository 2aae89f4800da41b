import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "./errors.js";
import { run } from "./run.js";
import { FakeApi, recordingIo } from "./test-support.js";

describe("iotctl: global options, help and errors", () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await new FakeApi([{ id: "ok-1", type: "vibration", presence: "online" }]).start();
  });
  afterAll(() => api.stop());

  const iotctl = async (args: string[], env: Record<string, string> = {}) => {
    const r = recordingIo({ env });
    const code = await run(args, r.io);
    return { code, stdout: r.stdout(), stderr: r.stderr() };
  };

  it("prints --help of every verb on stdout, with the global options (exit 0)", async () => {
    const verbs = [[], ["sensors"], ["sensors", "list"], ["sensors", "get"], ["sleep"], ["awake"], ["set-frequency"]];
    for (const verb of [...verbs, ["commands"], ["commands", "get"], ["commands", "list"]]) {
      const r = await iotctl([...verb, "--help"]);
      expect(r.code, verb.join(" ")).toBe(EXIT.ok);
      expect(r.stdout, verb.join(" ")).toContain(`Usage: iotctl${verb.map((v) => ` ${v}`).join("")} `);
      expect(r.stdout, verb.join(" ")).toMatch(/--output <format>/);
    }
    expect((await iotctl(["--help"])).stdout).toMatch(/IOTCTL_TOKEN[\s\S]*Exit codes:/);
  });

  it("treats an unknown verb or option as a usage error (exit 2)", async () => {
    expect((await iotctl(["reboot"])).code).toBe(EXIT.usage);
    expect((await iotctl(["sensors", "list", "--colour"])).code).toBe(EXIT.usage);
    expect((await iotctl([])).code).toBe(EXIT.usage);
  });

  it("takes the API from IOTCTL_API, and --api over it, with or without a trailing /api", async () => {
    const fromEnv = await iotctl(["sensors", "get", "ok-1"], { IOTCTL_API: `${api.url}/api/` });
    expect(fromEnv.code).toBe(EXIT.ok);
    const flag = await iotctl(["--api", api.url, "sensors", "get", "ok-1"], { IOTCTL_API: "http://127.0.0.1:1" });
    expect(JSON.parse(flag.stdout)).toMatchObject({ id: "ok-1" });
  });

  it("sends IOTCTL_TOKEN, and --token over it", async () => {
    await iotctl(["--api", api.url, "sleep", "ok-1"], { IOTCTL_TOKEN: FakeApi.token });
    expect(api.requests.at(-1)?.auth).toBe(`Bearer ${FakeApi.token}`);
    const r = await iotctl(["--api", api.url, "--token", "other", "sleep", "ok-1"], { IOTCTL_TOKEN: FakeApi.token });
    expect(api.requests.at(-1)?.auth).toBe("Bearer other");
    expect(r.code).toBe(EXIT.api);
  });

  it("says to set IOTCTL_TOKEN on a 401, whether no token or a wrong one was sent (exit 3)", async () => {
    const none = await iotctl(["--api", api.url, "awake", "ok-1"]);
    expect(none.code).toBe(EXIT.api);
    expect(none.stderr).toBe("iotctl: the API needs a token: set IOTCTL_TOKEN (or --token) to the API's API_TOKEN\n");
    const wrong = await iotctl(["--api", api.url, "awake", "ok-1"], { IOTCTL_TOKEN: "nope" });
    expect(wrong.stderr).toMatch(/the API refused the token: set IOTCTL_TOKEN/);
  });

  it("says where it looked when the API is unreachable (exit 3)", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await iotctl(["sensors", "list"], { IOTCTL_API: url });
    expect(r.code).toBe(EXIT.api);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `iotctl: cannot reach the API at ${url} (ECONNREFUSED): start it (npm start) or point --api / IOTCTL_API at it\n`,
    );
  });

  it("says when the URL is not the sensorstream API, or lacks a route", async () => {
    const other = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>"));
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const r = await iotctl(["sensors", "list"], { IOTCTL_API: url });
    await new Promise<void>((resolve) => other.close(() => resolve()));
    expect(r.code).toBe(EXIT.api);
    expect(r.stderr).toMatch(/a body that is not JSON: is --api \/ IOTCTL_API the sensorstream API\?/);
    const missing = await iotctl(["--api", `${api.url}/v2`, "sensors", "list"]);
    expect(missing.stderr).toMatch(/has no GET \/v2\/api\/sensors: check --api \/ IOTCTL_API/);
  });
});
