import { describe, expect, it } from "vitest";
import { foldEvents, type SensorEvent } from "./fold.js";
import { initialPresence, type PresenceEvent, type SensorPresence } from "./presence.js";

const policy = { silentFloorS: 30, silentIntervals: 5 };
const S = 1_000_000;
const ev = (sensorId: string, source: number, event: PresenceEvent, extra: Partial<SensorEvent> = {}): SensorEvent => ({
  sensorId,
  source,
  event,
  ...extra,
});

describe("foldEvents", () => {
  it("applies each sensor's events in order, independently of the others, and keeps every transition", () => {
    const states = new Map<string, SensorPresence>([
      ["a", initialPresence()],
      ["b", initialPresence()],
    ]);
    const r = foldEvents(
      states,
      [
        ev("a", 0, { type: "connection", us: 1 * S, connected: true }),
        ev("b", 1, { type: "connection", us: 1 * S, connected: true }),
        ev("a", 2, { type: "connection", us: 2 * S, connected: false }),
        ev("a", 3, { type: "connection", us: 3 * S, connected: true }),
        ev("b", 4, { type: "status", us: 0.5 * S, state: "offline" }), // older than b's connect: stale
      ],
      policy,
    );
    expect(r.outcomes).toEqual(["applied", "applied", "applied", "applied", "stale"]);
    const a = r.changes.find((c) => c.sensorId === "a");
    expect(a?.transitions.map((t) => `${t.to}@${t.us / S}`)).toEqual(["online@1", "offline@2", "online@3"]);
    expect(a?.connection).toBe("connected");
    expect(r.changes.find((c) => c.sensorId === "b")?.state.presence).toBe("online");
  });

  it("reports sensors it does not know as unknown_sensor without touching the others", () => {
    const r = foldEvents(
      new Map([["a", initialPresence()]]),
      [ev("ghost", 0, { type: "status", us: S, state: "online" }), ev("a", 1, { type: "activity", us: S })],
      policy,
    );
    expect(r.outcomes).toEqual(["unknown_sensor", "applied"]);
    expect(r.changes.map((c) => c.sensorId)).toEqual(["a"]);
  });

  it("merges descriptions in order, keeps the newest position, and ignores the description of a stale status", () => {
    const r = foldEvents(
      new Map([["a", initialPresence()]]),
      [
        ev(
          "a",
          0,
          { type: "status", us: 2 * S, state: "online" },
          { description: { model: "M1", extras: { site: "x" } } },
        ),
        ev("a", 1, { type: "status", us: 3 * S, state: "online" }, { description: { firmware: "2", extras: {} } }),
        ev("a", 2, { type: "status", us: 1 * S, state: "online" }, { description: { model: "OLD" } }),
        ev("a", 3, { type: "activity", us: 4 * S }, { position: { lat: 1, lon: 2, us: 4 * S } }),
        ev("a", 4, { type: "activity", us: 5 * S }, { position: { lat: 3, lon: 4, us: 3 * S } }),
      ],
      policy,
    );
    const a = r.changes[0];
    expect(a?.description).toEqual({ model: "M1", firmware: "2", extras: { site: "x" } });
    expect(a?.position).toEqual({ lat: 1, lon: 2, us: 4 * S });
    expect(a?.state.lastSeenUs).toBe(5 * S);
  });
});
