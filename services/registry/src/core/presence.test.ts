import { describe, expect, it } from "vitest";
import { initialPresence, nextPresence, type PresenceEvent, type SensorPresence, silentAfterS } from "./presence.js";

const policy = { silentFloorS: 30, silentIntervals: 5 };
const S = 1_000_000;
const run = (events: PresenceEvent[], from: SensorPresence = initialPresence()) => {
  let s = from;
  const transitions: string[] = [];
  for (const e of events) {
    const r = nextPresence(s, e, policy);
    s = r.state;
    if (r.transition) transitions.push(`${r.transition.from}->${r.transition.to}:${r.transition.reason}`);
  }
  return { s, transitions };
};

describe("presence", () => {
  it("goes online on birth and offline on the Last Will", () => {
    const { s, transitions } = run([
      { type: "status", us: 1 * S, state: "online", mode: "awake", sampleHz: 10 },
      { type: "status", us: 2 * S, state: "offline" },
    ]);
    expect(transitions).toEqual(["offline->online:status_online", "online->offline:status_offline"]);
    expect(s).toMatchObject({ presence: "offline", mode: "awake", sampleHz: 10 });
  });

  it("an asleep sensor is not offline when it disconnects, and wakes when it says so", () => {
    const { s, transitions } = run([
      { type: "status", us: 1 * S, state: "online", mode: "awake" },
      { type: "status", us: 2 * S, state: "online", mode: "asleep" },
      { type: "activity", us: 2 * S + 5 },
      { type: "connection", us: 3 * S, connected: false },
      { type: "status", us: 4 * S, state: "offline" },
      { type: "tick", us: 1000 * S },
      { type: "activity", us: 1001 * S },
      { type: "status", us: 1002 * S, state: "online", mode: "awake" },
    ]);
    expect(transitions).toEqual([
      "offline->online:status_online",
      "online->asleep:status_online",
      "asleep->online:status_online",
    ]);
    expect(s.mode).toBe("awake");
  });

  it("ignores late and duplicate status events", () => {
    const { s, transitions } = run([
      { type: "status", us: 5 * S, state: "online" },
      { type: "status", us: 7 * S, state: "offline" },
      { type: "status", us: 6 * S, state: "online" }, // arrived late: older than the offline
      { type: "status", us: 7 * S, state: "offline" }, // duplicate
    ]);
    expect(transitions).toEqual(["offline->online:status_online", "online->offline:status_offline"]);
    expect(s.presence).toBe("offline");
    expect(nextPresence(s, { type: "status", us: 6 * S, state: "online" }, policy).stale).toBe(true);
  });

  it("late activity does not revive a sensor that went offline after it", () => {
    const { s } = run([
      { type: "status", us: 1 * S, state: "online" },
      { type: "status", us: 10 * S, state: "offline" },
      { type: "activity", us: 9 * S },
    ]);
    expect(s.presence).toBe("offline");
    expect(s.lastSeenUs).toBe(9 * S);
  });

  it("becomes silent after several of its own intervals, never before the floor, and recovers on data", () => {
    expect(silentAfterS(10, policy)).toBe(30);
    expect(silentAfterS(0.01, policy)).toBe(500);
    expect(silentAfterS(null, policy)).toBe(30);
    const slow = run([
      { type: "status", us: 0, state: "online", sampleHz: 0.01 },
      { type: "activity", us: 1 * S },
      { type: "tick", us: 400 * S },
    ]);
    expect(slow.s.presence).toBe("online");
    const { s, transitions } = run([
      { type: "status", us: 0, state: "online", sampleHz: 10 },
      { type: "activity", us: 1 * S },
      { type: "tick", us: 30 * S },
      { type: "tick", us: 32 * S },
      { type: "activity", us: 33 * S },
    ]);
    expect(transitions).toEqual(["offline->online:status_online", "online->silent:no_data", "silent->online:activity"]);
    expect(s.presence).toBe("online");
  });

  it("never calls an asleep or offline sensor silent", () => {
    const asleep = run([
      { type: "status", us: 0, state: "online", mode: "asleep" },
      { type: "tick", us: 10_000 * S },
    ]);
    expect(asleep.s.presence).toBe("asleep");
    const offline = run([
      { type: "status", us: 0, state: "offline" },
      { type: "tick", us: 10_000 * S },
    ]);
    expect(offline.s.presence).toBe("offline");
  });

  it("a connect without a birth message counts as online", () => {
    expect(run([{ type: "connection", us: S, connected: true }]).s.presence).toBe("online");
  });
});
