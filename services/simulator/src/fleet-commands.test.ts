import { randomUUID } from "node:crypto";
import { formatMicros, microsOf } from "@sensorstream/contracts";
import { describe, expect, it } from "vitest";
import { type FleetOptions, startFleet } from "./index.js";
import type { LinkEvents, OpenLink } from "./link.js";
import { seededRandom } from "./signals.js";

type Published = { clientId: string; topic: string; payload: string; retain: boolean };
const nowUs = (): number => Date.now() * 1000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A hand-written broker stand-in that records subscriptions and can deliver commands to a sensor. */
function fakeBroker() {
  const published: Published[] = [];
  const subscriptions: { clientId: string; topic: string }[] = [];
  const events = new Map<string, LinkEvents>();
  const openLink: OpenLink = (spec, ev) => {
    events.set(spec.clientId, ev);
    setTimeout(ev.onConnect, 0);
    return {
      publish: (topic, payload, retain, done) => {
        published.push({ clientId: spec.clientId, topic, payload, retain });
        setTimeout(done, 0);
      },
      subscribe: (topic, done) => {
        subscriptions.push({ clientId: spec.clientId, topic });
        setTimeout(done, 0);
      },
      close: async () => {},
    };
  };
  const send = (id: string, name: string, args: Record<string, unknown> = {}, commandId = randomUUID()) => {
    const body = {
      command_id: commandId,
      name,
      args,
      issued_at: formatMicros(nowUs()),
      expires_at: formatMicros(nowUs() + 60_000_000),
    };
    events.get(id)?.onMessage(`sensors/${id}/commands/${name}`, Buffer.from(JSON.stringify(body)));
    return commandId;
  };
  const of = (id: string, kind: string) => published.filter((p) => p.clientId === id && p.topic.endsWith(`/${kind}`));
  const acks = (id: string) => of(id, "acks").map((p) => JSON.parse(p.payload));
  const readings = (id: string) => of(id, "data").map((p) => JSON.parse(p.payload) as { ts: string; seq: number });
  const statuses = (id: string) => of(id, "status").map((p) => ({ ...JSON.parse(p.payload), retain: p.retain }));
  return { openLink, subscriptions, send, acks, readings, statuses };
}

const start = (broker: ReturnType<typeof fakeBroker>, over: Partial<FleetOptions> = {}) =>
  startFleet(
    { mqttUrl: "mqtt://fake:1883", random: seededRandom(2), sensors: 1, rateHz: 50, idPrefix: "c", ...over },
    { openLink: broker.openLink, nowUs },
  );

describe("a fleet obeying commands (fake broker)", () => {
  it("subscribes to its commands, sleeps (no readings), wakes up (readings resume, seq carries on), acking each", async () => {
    const broker = fakeBroker();
    const fleet = start(broker);
    await pause(150);
    expect(broker.subscriptions).toEqual([{ clientId: "c-1", topic: "sensors/c-1/commands/#" }]);
    const sleepId = broker.send("c-1", "sleep");
    const atSleep = broker.readings("c-1").length;
    expect(atSleep).toBeGreaterThan(0);
    expect(broker.acks("c-1")).toEqual([{ command_id: sleepId, status: "ok" }]);
    expect(broker.statuses("c-1").at(-1)).toMatchObject({
      state: "online",
      mode: "asleep",
      sample_hz: 50,
      retain: true,
    });
    expect(fleet.stats().asleep).toBe(1);
    await pause(300);
    expect(broker.readings("c-1").length).toBe(atSleep);

    const awakeId = broker.send("c-1", "awake");
    expect(broker.acks("c-1").at(-1)).toEqual({ command_id: awakeId, status: "ok" });
    expect(broker.statuses("c-1").at(-1)).toMatchObject({ mode: "awake", retain: true });
    expect(fleet.stats().asleep).toBe(0);
    await pause(200);
    const stats = await fleet.stop();
    const all = broker.readings("c-1");
    expect(all.length).toBeGreaterThan(atSleep + 3);
    expect(all.map((r) => r.seq)).toEqual(all.map((_, k) => k));
    // The first reading after waking is taken after waking, not back-dated to fill the night.
    const gap = microsOf(all[atSleep]?.ts ?? "") - microsOf(all[atSleep - 1]?.ts ?? "");
    expect(gap).toBeGreaterThanOrEqual(300_000);
    expect(stats).toMatchObject({ commands_received: 2, acks_ok: 2, acks_error: 0 });
  });

  it("changes the sample rate: readings exactly 1/hz apart from then on, reported in the status", async () => {
    const broker = fakeBroker();
    const fleet = start(broker, { rateHz: 10 });
    await pause(250);
    const before = broker.readings("c-1").length;
    broker.send("c-1", "change_sample_frequency", { hz: 100 });
    expect(broker.statuses("c-1").at(-1)).toMatchObject({ mode: "awake", sample_hz: 100 });
    await pause(300);
    await fleet.stop();
    const after = broker.readings("c-1").slice(before);
    expect(after.length).toBeGreaterThan(10);
    const gaps = after.slice(1).map((r, i) => microsOf(r.ts) - microsOf(after[i]?.ts ?? ""));
    expect(gaps.every((g) => g === 10_000)).toBe(true);
  });

  it("acks a bad rate with an error and keeps the rate; acks a resend again without acting twice", async () => {
    const broker = fakeBroker();
    const fleet = start(broker);
    await pause(50);
    const bad = broker.send("c-1", "change_sample_frequency", { hz: -1 });
    expect(broker.acks("c-1")).toEqual([
      { command_id: bad, status: "error", error: expect.stringMatching(/args.hz must be a number > 0/) },
    ]);
    const statusesBefore = broker.statuses("c-1").length;
    const id = broker.send("c-1", "sleep");
    broker.send("c-1", "awake");
    broker.send("c-1", "sleep", {}, id); // a resend of the first sleep, after the awake: must not put it back to sleep
    expect(broker.acks("c-1").slice(1)).toEqual([
      { command_id: id, status: "ok" },
      { command_id: expect.any(String), status: "ok" },
      { command_id: id, status: "ok" },
    ]);
    expect(broker.statuses("c-1").length).toBe(statusesBefore + 2);
    expect(fleet.stats().asleep).toBe(0);
    await fleet.stop();
  });

  it("makes the requested shares fail (error ack, no effect) or ignore (no ack) commands", async () => {
    const broker = fakeBroker();
    const fleet = start(broker, { sensors: 4, failCommands: 0.25, ignoreCommands: 0.25 });
    await pause(50);
    const behaviours = [...fleet.commandBehaviours.values()].sort();
    expect(behaviours).toEqual(["fail", "ignore", "obey", "obey"]);
    for (const id of fleet.sensorIds) broker.send(id, "sleep");
    for (const [id, behaviour] of fleet.commandBehaviours) {
      const acks = broker.acks(id);
      if (behaviour === "ignore") expect(acks).toEqual([]);
      else expect(acks.map((a) => a.status)).toEqual([behaviour === "fail" ? "error" : "ok"]);
    }
    const stats = await fleet.stop();
    expect(stats).toMatchObject({ asleep: 2, commands_received: 4, acks_ok: 2, acks_error: 1, commands_ignored: 1 });
  });
});
