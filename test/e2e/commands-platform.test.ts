import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform } from "../fixtures/platform.js";
import { waitFor } from "../fixtures/wait.js";

type Cmd = { command_id: string; state: string; name: string };

/**
 * Commands end to end in npm start's composition: API → bus → the gateway's outbound path → an MQTT sensor →
 * its ack → the command service (acked) and the registry (reported); and a command held for an offline sensor,
 * sent when it comes online.
 */
describe("commands through the whole platform", () => {
  let t: TestPlatform;
  const api: TestPlatform["api"] = (method, url, body) => t.api(method, url, body);

  /** A sensor that acks every command ok and reports the mode it was told. */
  const sensor = async (id: string) => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.platform.mqttPort}`, { clientId: id, clean: false });
    const got: Cmd[] = [];
    c.on("message", (_topic, payload) => {
      const cmd = JSON.parse(payload.toString()) as Cmd;
      got.push(cmd);
      void c.publishAsync(`sensors/${id}/acks`, JSON.stringify({ command_id: cmd.command_id, status: "ok" }), {
        qos: 1,
      });
    });
    await c.subscribeAsync(`sensors/${id}/commands/#`, { qos: 1 });
    await c.publishAsync(`sensors/${id}/status`, JSON.stringify({ state: "online", mode: "awake", sample_hz: 1 }), {
      qos: 1,
    });
    return { c, got };
  };
  const stateOf = async (id: string) => ((await api("GET", `/api/commands/${id}`)).body as Cmd).state;

  beforeAll(async () => {
    t = await startTestPlatform("cmd_platform");
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it("delivers a command to a connected sensor and records its ack and the reported mode", async () => {
    const s = await sensor("cmd-live");
    await waitFor(async () => (await api("GET", "/api/sensors/cmd-live")).body.presence === "online", {
      message: "the sensor never came online",
    });
    const issued = await api("POST", "/api/sensors/cmd-live/commands", { name: "sleep" });
    expect(issued.status).toBe(202);
    const id = (issued.body as Cmd).command_id;
    await waitFor(async () => (await stateOf(id)) === "acked", { message: "the command was never acked" });
    expect(s.got.map((c) => c.command_id)).toContain(id);
    await waitFor(async () => (await api("GET", "/api/sensors/cmd-live")).body.in_sync === true, {
      message: "the sensor never became in sync",
    });
    expect((await api("GET", "/api/sensors/cmd-live")).body).toMatchObject({
      desired: { mode: "asleep" },
      reported: { mode: "asleep" },
    });
    await s.c.endAsync();
  });

  it("holds a command for a sensor that is offline and sends it when it comes online", async () => {
    expect((await api("POST", "/api/sensors", { id: "cmd-later" })).status).toBe(201);
    const issued = await api("POST", "/api/sensors/cmd-later/commands", {
      name: "change_sample_frequency",
      args: { hz: 3 },
    });
    const id = (issued.body as Cmd).command_id;
    expect(await stateOf(id)).toBe("queued");
    const s = await sensor("cmd-later");
    await waitFor(async () => (await stateOf(id)) === "acked", { message: "the held command was never acked" });
    expect(s.got.map((c) => c.command_id)).toStrictEqual([id]);
    await s.c.endAsync();
  });
});
