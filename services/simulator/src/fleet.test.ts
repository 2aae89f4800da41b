import { microsOf, parseDevicePayload } from "@sensorstream/contracts";
import { describe, expect, it } from "vitest";
import { startFleet } from "./fleet.js";
import type { LinkEvents, LinkSpec, OpenLink } from "./link.js";
import { seededRandom } from "./signals.js";

type Published = { clientId: string; topic: string; payload: string; retain: boolean; atUs: number };
type FakeOptions = { ackDelayMs?: number; fail?: boolean; neverAck?: boolean; connectAfterMs?: number };

const nowUs = (): number => Date.now() * 1000;

/** A hand-written broker stand-in: connects, records what is published, PUBACKs as told. */
function fakeBroker(opts: FakeOptions = {}) {
  const specs: LinkSpec[] = [];
  const published: Published[] = [];
  const closed: { clientId: string; force: boolean }[] = [];
  const events = new Map<string, LinkEvents>();
  const openLink: OpenLink = (spec, ev) => {
    specs.push(spec);
    events.set(spec.clientId, ev);
    setTimeout(ev.onConnect, opts.connectAfterMs ?? 0);
    return {
      publish: (topic, payload, retain, done) => {
        published.push({ clientId: spec.clientId, topic, payload, retain, atUs: nowUs() });
        if (opts.neverAck) return;
        setTimeout(() => done(opts.fail ? new Error("boom") : undefined), opts.ackDelayMs ?? 0);
      },
      subscribe: (_topic, done) => setTimeout(done, 0),
      close: async (force) => {
        closed.push({ clientId: spec.clientId, force });
      },
    };
  };
  const data = () => published.filter((p) => p.topic.endsWith("/data"));
  const status = () => published.filter((p) => p.topic.endsWith("/status"));
  return { openLink, specs, published, closed, events, data, status };
}

const base = { mqttUrl: "mqtt://fake:1883", random: seededRandom(1) };

describe("startFleet (fake broker)", () => {
  it("publishes births, batched readings with unique evenly spaced times, then a clean shutdown", async () => {
    const broker = fakeBroker();
    const fleet = startFleet(
      { ...base, sensors: 4, rateHz: 50, batch: 5, durationS: 0.6, types: ["vibration", "gps"], idPrefix: "t" },
      { openLink: broker.openLink, nowUs },
    );
    expect(fleet.sensorIds).toEqual(["t-1", "t-2", "t-3", "t-4"]);
    const stats = await fleet.done;

    expect(broker.specs.map((s) => s.clientId)).toEqual(fleet.sensorIds);
    for (const spec of broker.specs) {
      expect(spec.will).toEqual({ topic: `sensors/${spec.clientId}/status`, payload: '{"state":"offline"}' });
      expect(spec.username).toBeUndefined();
      // Exponential backoff with jitter: 0.5–1 s after the first failure, twice that after the next, capped at 60 s.
      for (let n = 0; n < 20; n++) {
        expect(spec.reconnectDelayMs(1)).toBeGreaterThanOrEqual(500);
        expect(spec.reconnectDelayMs(1)).toBeLessThanOrEqual(1000);
        expect(spec.reconnectDelayMs(3)).toBeGreaterThanOrEqual(2000);
        expect(spec.reconnectDelayMs(20)).toBeLessThanOrEqual(60_000);
      }
    }
    const births = broker.status().filter((p) => JSON.parse(p.payload).state === "online");
    expect(births.map((b) => [b.clientId, b.retain, JSON.parse(b.payload).type])).toEqual([
      ["t-1", true, "vibration"],
      ["t-2", true, "gps"],
      ["t-3", true, "vibration"],
      ["t-4", true, "gps"],
    ]);

    let readings = 0;
    let values = 0;
    let positions = 0;
    for (const id of fleet.sensorIds) {
      const messages = broker.data().filter((p) => p.clientId === id);
      expect(messages.length).toBeGreaterThanOrEqual(4);
      const times: number[] = [];
      const seqs: number[] = [];
      for (const m of messages) {
        expect(m.topic).toBe(`sensors/${id}/data`);
        expect(m.retain).toBe(false);
        const parsed = parseDevicePayload("data", new TextEncoder().encode(m.payload), {
          sensor_id: id,
          msg_id: "x",
          received_us: nowUs(),
        });
        if (!parsed.ok || parsed.kind !== "data") throw new Error(`rejected: ${JSON.stringify(parsed)}`);
        const batch = parsed.message.readings;
        expect(batch).toHaveLength(5);
        // Sent when its last sample is due: never before, and not long after.
        const lastUs = microsOf(batch.at(-1)?.time ?? "");
        expect(m.atUs).toBeGreaterThanOrEqual(lastUs - 1000);
        expect(m.atUs - lastUs).toBeLessThan(250_000);
        for (const r of batch) {
          times.push(microsOf(r.time));
          seqs.push(r.seq ?? -1);
          values += Object.keys(r.values).length;
          if (r.lat !== undefined) positions++;
        }
        readings += batch.length;
      }
      expect(seqs).toEqual(times.map((_, k) => k));
      expect(times.slice(1).map((t, k) => t - (times[k] ?? 0))).toEqual(times.slice(1).map(() => 20_000));
    }
    expect(stats).toMatchObject({
      sensors: 4,
      messages_sent: broker.data().length,
      messages_acked: broker.data().length,
      readings_sent: readings,
      readings_acked: readings,
      values_acked: values,
      positions_acked: positions,
      publish_errors: 0,
    });
    expect(positions).toBeGreaterThan(0);
    expect(stats.elapsed_s).toBeGreaterThanOrEqual(0.6);

    const shutdowns = broker.status().filter((p) => JSON.parse(p.payload).state === "offline");
    expect(shutdowns.map((s) => [s.clientId, s.retain])).toEqual(fleet.sensorIds.map((id) => [id, true]));
    expect(broker.closed).toEqual(fleet.sensorIds.map((clientId) => ({ clientId, force: false })));
  });

  it("spreads sensors' first messages across the message period", async () => {
    const broker = fakeBroker();
    const fleet = startFleet(
      { ...base, sensors: 4, rateHz: 10, batch: 4, durationS: 0.8 },
      { openLink: broker.openLink, nowUs },
    );
    await fleet.done;
    const firstTimes = fleet.sensorIds.map((id) => {
      const first = broker.data().find((p) => p.clientId === id);
      return microsOf(JSON.parse(first?.payload ?? "[]")[0]?.ts ?? "");
    });
    const gaps = firstTimes.slice(1).map((t, i) => t - (firstTimes[i] ?? 0));
    expect(gaps).toEqual([100_000, 100_000, 100_000]);
  });

  it("stop() waits for outstanding PUBACKs", async () => {
    const broker = fakeBroker({ ackDelayMs: 150 });
    const fleet = startFleet({ ...base, sensors: 3, rateHz: 100, batch: 2 }, { openLink: broker.openLink, nowUs });
    await new Promise((r) => setTimeout(r, 200));
    const before = fleet.stats();
    expect(before.messages_sent).toBeGreaterThan(before.messages_acked);
    const stats = await fleet.stop();
    expect(stats.messages_acked).toBe(stats.messages_sent);
    expect(stats.readings_acked).toBe(stats.readings_sent);
    expect(await fleet.done).toEqual(stats);
    expect(await fleet.stop()).toEqual(stats);
  });

  it("counts publish errors and forces the close when acks never come", async () => {
    const failing = fakeBroker({ fail: true });
    const f1 = startFleet({ ...base, sensors: 2, rateHz: 50, durationS: 0.2 }, { openLink: failing.openLink });
    const s1 = await f1.done;
    expect(s1.publish_errors).toBe(s1.messages_sent);
    expect(s1.messages_acked).toBe(0);
    expect(s1.last_error).toMatch(/publish: boom/);

    const silent = fakeBroker({ neverAck: true });
    const f2 = startFleet(
      { ...base, sensors: 2, rateHz: 50, durationS: 0.2, drainTimeoutMs: 50 },
      { openLink: silent.openLink },
    );
    const s2 = await f2.done;
    expect(s2.messages_sent).toBeGreaterThan(0);
    expect(s2.messages_acked).toBe(0);
    expect(silent.closed.every((c) => c.force)).toBe(true);
  });

  it("keeps samples while offline and sends the backlog with the original times", async () => {
    const broker = fakeBroker({ connectAfterMs: 300 });
    const fleet = startFleet({ ...base, sensors: 1, rateHz: 20, batch: 1 }, { openLink: broker.openLink, nowUs });
    const startUs = microsOf(fleet.stats().started_at);
    await new Promise((r) => setTimeout(r, 400));
    const stats = await fleet.stop();
    const times = broker.data().map((p) => microsOf(JSON.parse(p.payload).ts));
    expect(times[0]).toBe(startUs);
    expect(
      times
        .slice(1)
        .map((t, i) => t - (times[i] ?? 0))
        .every((d) => d === 50_000),
    ).toBe(true);
    expect(times.length).toBeGreaterThanOrEqual(6); // at least the 300 ms of backlog
    expect(stats.readings_acked).toBe(times.length);
  });

  it("catches up after falling behind: every due sample is sent, none shifted or dropped", async () => {
    const broker = fakeBroker();
    let skewUs = 0;
    const fleet = startFleet(
      { ...base, sensors: 3, rateHz: 100, batch: 2, maxInflight: 10 },
      { openLink: broker.openLink, nowUs: () => nowUs() + skewUs },
    );
    await new Promise((r) => setTimeout(r, 100));
    skewUs = 1_000_000; // as if the event loop had stalled for a second
    await new Promise((r) => setTimeout(r, 200));
    const stats = await fleet.stop();
    for (const id of fleet.sensorIds) {
      const times = broker
        .data()
        .filter((p) => p.clientId === id)
        .flatMap((p) => JSON.parse(p.payload).map((r: { ts: string }) => microsOf(r.ts)));
      expect(times.length).toBeGreaterThan(100);
      expect(times.slice(1).every((t, i) => t - (times[i] ?? 0) === 10_000)).toBe(true);
    }
    expect(stats.readings_acked).toBe(stats.readings_sent);
  });

  it("logs each sensor in as itself when a password is set", async () => {
    const broker = fakeBroker();
    const fleet = startFleet(
      { ...base, sensors: 2, rateHz: 1, password: "s3cret", idPrefix: "dev" },
      { openLink: broker.openLink },
    );
    await fleet.stop();
    expect(broker.specs.map((s) => [s.username, s.password])).toEqual([
      ["dev-1", "s3cret"],
      ["dev-2", "s3cret"],
    ]);
  });

  it("runs the given ids, each logging in as itself with its own token, with the CA for TLS", async () => {
    const broker = fakeBroker();
    const tokens = new Map([
      ["pump-a", "tok-a"],
      ["pump-b", "tok-b"],
    ]);
    const fleet = startFleet(
      { ...base, sensors: 2, rateHz: 1, ids: ["pump-a", "pump-b"], tokens, ca: "PEM" },
      { openLink: broker.openLink },
    );
    expect(fleet.sensorIds).toEqual(["pump-a", "pump-b"]);
    await fleet.stop();
    expect(broker.specs.map((s) => [s.clientId, s.username, s.password, s.ca])).toEqual([
      ["pump-a", "pump-a", "tok-a", "PEM"],
      ["pump-b", "pump-b", "tok-b", "PEM"],
    ]);
    expect(() => startFleet({ ...base, sensors: 3, rateHz: 1, ids: ["a", "a", "a/b"] })).toThrow(
      /ids must be sensor ids, got 'a\/b'; ids must be unique/,
    );
  });

  it("rejects invalid options, listing every problem", () => {
    expect(() => startFleet({ mqttUrl: "http://x", sensors: 0, rateHz: -1 })).toThrow(
      /mqttUrl must be.*; sensors must be an integer from 1.*; rateHz must be a positive number/,
    );
  });
});
