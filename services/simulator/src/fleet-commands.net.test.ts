import { randomBytes, randomUUID } from "node:crypto";
import { formatMicros } from "@sensorstream/contracts";
import { connect, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, startFleet } from "./fleet.js";

/** Needs a real MQTT broker: MQTT_TEST_URL, or the Mosquitto on 127.0.0.1:1883. */
const url = process.env.MQTT_TEST_URL ?? "mqtt://127.0.0.1:1883";
const prefix = `nc${randomBytes(4).toString("hex")}`;

type Seen = { id: string; kind: string; payload: string; atMs: number };
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(20);
  }
}

describe("a fleet obeying commands through a real broker", () => {
  let platform: MqttClient;
  let fleet: Fleet;
  const seen: Seen[] = [];
  const of = (id: string, kind: string) => seen.filter((s) => s.id === id && s.kind === kind);
  const acksFor = (commandId: string) =>
    seen.filter((s) => s.kind === "acks").filter((s) => JSON.parse(s.payload).command_id === commandId);
  const dataSince = (id: string, atMs: number) => of(id, "data").filter((s) => s.atMs >= atMs).length;

  /** Publishes a command as the platform would and returns its id. */
  const send = async (id: string, name: string, args: object = {}, over: object = {}): Promise<string> => {
    const commandId = randomUUID();
    const body = {
      command_id: commandId,
      name,
      args,
      issued_at: formatMicros(Date.now() * 1000),
      expires_at: formatMicros((Date.now() + 60_000) * 1000),
      ...over,
    };
    await platform.publishAsync(`sensors/${id}/commands/${name}`, JSON.stringify(body), { qos: 1 });
    return commandId;
  };
  const ackOf = async (commandId: string) => {
    await waitFor(`the ack of ${commandId}`, () => acksFor(commandId).length > 0);
    return JSON.parse(acksFor(commandId)[0]?.payload ?? "{}");
  };

  beforeAll(async () => {
    platform = connect(url, { clientId: `${prefix}-platform`, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
    await new Promise<void>((resolve, reject) => {
      platform.once("connect", () => resolve());
      platform.once("error", (err) =>
        reject(new Error(`cannot reach the MQTT broker at ${url} (start Mosquitto or set MQTT_TEST_URL): ${err}`)),
      );
    });
    platform.on("message", (topic, payload) => {
      const [, id = "", kind = ""] = topic.split("/");
      seen.push({ id, kind, payload: payload.toString("utf8"), atMs: Date.now() });
    });
    const ids = [1, 2, 3, 4].map((n) => `${prefix}-${n}`);
    await platform.subscribeAsync(
      ids.flatMap((id) => [`sensors/${id}/data`, `sensors/${id}/status`, `sensors/${id}/acks`]),
      { qos: 1 },
    );
    fleet = startFleet({
      mqttUrl: url,
      sensors: 4,
      rateHz: 20,
      idPrefix: prefix,
      failCommands: 0.25,
      ignoreCommands: 0.25,
      progressIntervalMs: 60_000,
    });
    expect(fleet.sensorIds).toEqual(ids);
    // A sensor subscribes to its commands before its birth status; the broker handles one connection's packets in
    // order, so once the birth is seen the subscription is in place.
    await waitFor("every sensor's birth and first readings", () =>
      ids.every((id) => of(id, "status").length > 0 && of(id, "data").length > 0),
    );
  }, 30_000);

  afterAll(async () => {
    await fleet?.stop();
    if (!platform) return;
    // Leave no retained status behind.
    for (const id of fleet?.sensorIds ?? [])
      await platform.publishAsync(`sensors/${id}/status`, "", { retain: true, qos: 1 });
    await platform.endAsync();
  });

  const byBehaviour = (b: string) => [...fleet.commandBehaviours].filter(([, v]) => v === b).map(([id]) => id);

  it("acks with the command ids; sleep stops readings, awake brings them back; failing and ignoring sensors as told", async () => {
    const [a, b] = byBehaviour("obey");
    const [failing] = byBehaviour("fail");
    const [ignoring] = byBehaviour("ignore");
    if (!a || !b || !failing || !ignoring) throw new Error(`unexpected behaviours ${[...fleet.commandBehaviours]}`);

    const sleeps = await Promise.all([a, b, failing, ignoring].map((id) => send(id, "sleep")));
    const [sa, sb, sf, si] = sleeps;
    expect(await ackOf(sa ?? "")).toEqual({ command_id: sa, status: "ok" });
    expect(await ackOf(sb ?? "")).toEqual({ command_id: sb, status: "ok" });
    expect(await ackOf(sf ?? "")).toMatchObject({ command_id: sf, status: "error" });
    expect(
      of(a, "status")
        .map((s) => JSON.parse(s.payload))
        .at(-1),
    ).toMatchObject({ state: "online", mode: "asleep" });

    // Messages already on their way when the ack went out may still arrive: count from a little later.
    await pause(300);
    const from = Date.now();
    await pause(1000);
    expect(dataSince(a, from)).toBe(0);
    expect(dataSince(b, from)).toBe(0);
    expect(dataSince(failing, from)).toBeGreaterThanOrEqual(5);
    expect(dataSince(ignoring, from)).toBeGreaterThanOrEqual(5);
    expect(acksFor(si ?? "")).toEqual([]);
    expect(fleet.stats()).toMatchObject({ asleep: 2, commands_ignored: 1, acks_error: 1 });

    const wake = await send(a, "awake");
    expect(await ackOf(wake)).toEqual({ command_id: wake, status: "ok" });
    const woke = Date.now();
    await waitFor("readings after awake", () => dataSince(a, woke) >= 5);
    expect(
      of(a, "status")
        .map((s) => JSON.parse(s.payload))
        .at(-1),
    ).toMatchObject({ mode: "awake", sample_hz: 20 });
    expect(fleet.stats().asleep).toBe(1);
  }, 30_000);

  it("change_sample_frequency measurably changes the rate of readings published", async () => {
    const [a] = byBehaviour("obey");
    if (!a) throw new Error("no obeying sensor");
    const window = async (): Promise<number> => {
      const from = Date.now();
      await pause(1500);
      return dataSince(a, from);
    };
    const at20 = await window();
    const fast = await send(a, "change_sample_frequency", { hz: 100 });
    expect(await ackOf(fast)).toEqual({ command_id: fast, status: "ok" });
    await pause(200);
    const at100 = await window();
    // 5x the rate; generous bounds for a loaded machine.
    expect(at100 / Math.max(1, at20)).toBeGreaterThan(2.5);
    expect(
      of(a, "status")
        .map((s) => JSON.parse(s.payload))
        .at(-1),
    ).toMatchObject({ sample_hz: 100 });
    const slow = await send(a, "change_sample_frequency", { hz: 5 });
    expect(await ackOf(slow)).toEqual({ command_id: slow, status: "ok" });
    await pause(300);
    const at5 = await window();
    expect(at100 / Math.max(1, at5)).toBeGreaterThan(5);
  }, 30_000);

  it("answers bad args, an expired command and a resend", async () => {
    const [a] = byBehaviour("obey");
    if (!a) throw new Error("no obeying sensor");
    const bad = await send(a, "change_sample_frequency", { hz: 0 });
    expect(await ackOf(bad)).toMatchObject({ command_id: bad, status: "error", error: expect.stringMatching(/hz/) });
    const expired = await send(a, "sleep", {}, { expires_at: formatMicros((Date.now() - 1000) * 1000) });
    expect(await ackOf(expired)).toEqual({ command_id: expired, status: "error", error: "expired" });
    expect(fleet.stats().asleep).toBe(1);

    // A resend of an answered command (same id) is acked again and not acted on twice.
    const body = {
      command_id: randomUUID(),
      name: "sleep",
      args: {},
      issued_at: formatMicros(Date.now() * 1000),
      expires_at: formatMicros((Date.now() + 60_000) * 1000),
    };
    const topic = `sensors/${a}/commands/sleep`;
    await platform.publishAsync(topic, JSON.stringify(body), { qos: 1 });
    await ackOf(body.command_id);
    const wake = await send(a, "awake");
    await ackOf(wake);
    await platform.publishAsync(topic, JSON.stringify(body), { qos: 1 });
    await waitFor("the second ack of the resend", () => acksFor(body.command_id).length === 2);
    expect(acksFor(body.command_id).map((s) => JSON.parse(s.payload).status)).toEqual(["ok", "ok"]);
    expect(fleet.stats().asleep).toBe(1); // still awake: only the other obeying sensor sleeps
  }, 30_000);
});
