/**
 * Presence: what an operator needs to know about a sensor's liveness, from what it and the gateway say.
 *   online   connected (birth or connect) and, if awake, heard from recently enough
 *   offline  Last Will, or a disconnect, while awake
 *   asleep   the sensor reported sleep: quiet on purpose, so never "offline" or "silent"
 *   silent   online and awake, but nothing heard for several of its own sample intervals
 * Pure: the caller stores the state and publishes transitions.
 */
export type PresenceState = "online" | "offline" | "asleep" | "silent";
export type Mode = "awake" | "asleep";

export type SensorPresence = {
  presence: PresenceState;
  mode: Mode | null;
  sampleHz: number | null;
  /** Last time anything was heard from the sensor (epoch µs). */
  lastSeenUs: number | null;
  /** Receive time of the last status/connection event applied (epoch µs): older events are stale. */
  statusUs: number | null;
  /** When the sensor's current MQTT connection was accepted (epoch µs), as far as the registry knows. */
  connectedUs: number | null;
};

/** `connectedUs`: when the connection that carried the event was accepted; absent on older messages. */
export type PresenceEvent =
  | {
      type: "status";
      us: number;
      state: "online" | "offline";
      mode?: Mode | undefined;
      sampleHz?: number | undefined;
      connectedUs?: number | undefined;
    }
  | { type: "connection"; us: number; connected: boolean; connectedUs?: number | undefined }
  | { type: "activity"; us: number }
  | { type: "tick"; us: number };

export type PresencePolicy = {
  /** Never call a sensor silent before this many seconds without news. */
  silentFloorS: number;
  /** …nor before this many of its own sample intervals. */
  silentIntervals: number;
};

export type Transition = { from: PresenceState; to: PresenceState; reason: string };
export type PresenceResult = { state: SensorPresence; transition: Transition | undefined; stale: boolean };

export const initialPresence = (): SensorPresence => ({
  presence: "offline",
  mode: null,
  sampleHz: null,
  lastSeenUs: null,
  statusUs: null,
  connectedUs: null,
});

/** However slowly a sensor says it samples, 30 days of quiet make it silent (and the interval stays finite). */
export const MAX_SILENT_AFTER_S = 30 * 86_400;

/** Seconds of quiet after which an online, awake sensor is silent: positive, finite, at most MAX_SILENT_AFTER_S. */
export function silentAfterS(sampleHz: number | null, policy: PresencePolicy): number {
  const byCadence =
    sampleHz !== null && Number.isFinite(sampleHz) && sampleHz > 0 ? policy.silentIntervals / sampleHz : 0;
  return Math.min(MAX_SILENT_AFTER_S, Math.max(policy.silentFloorS, byCadence));
}

type OrderedEvent = Extract<PresenceEvent, { type: "status" | "connection" }>;

/** The connection an event belongs to: a connect without connected_at (older gateways) opened at its receive time. */
const connectionOf = (e: OrderedEvent): number | undefined =>
  e.connectedUs ?? (e.type === "connection" && e.connected ? e.us : undefined);

/**
 * Whether a status/connection event is older than what was applied. By connection when both sides know it: an
 * event of an older connection (a Last Will or disconnect that another gateway replica reports late) is stale
 * whatever its receive time, one of a newer connection is not (replicas' clocks differ). Within one connection,
 * or when either side does not know its connection, by receive time.
 */
function isStale(s: SensorPresence, e: OrderedEvent): boolean {
  const c = connectionOf(e);
  if (c !== undefined && s.connectedUs !== null && c !== s.connectedUs) return c < s.connectedUs;
  return s.statusUs !== null && e.us < s.statusUs;
}

const seen = (s: SensorPresence, us: number): number => Math.max(s.lastSeenUs ?? us, us);

export function nextPresence(s: SensorPresence, e: PresenceEvent, policy: PresencePolicy): PresenceResult {
  const to = (state: SensorPresence, reason: string): PresenceResult => ({
    state,
    stale: false,
    transition: state.presence === s.presence ? undefined : { from: s.presence, to: state.presence, reason },
  });
  switch (e.type) {
    case "status":
    case "connection": {
      // Status and connection events can arrive late, twice, or from an older connection; the newest one wins.
      if (isStale(s, e)) return { state: s, transition: undefined, stale: true };
      const up = e.type === "status" ? e.state === "online" : e.connected;
      const mode = e.type === "status" ? (e.mode ?? (up ? (s.mode ?? "awake") : s.mode)) : s.mode;
      const sampleHz = e.type === "status" ? (e.sampleHz ?? s.sampleHz) : s.sampleHz;
      const c = connectionOf(e);
      const connectedUs = c === undefined ? s.connectedUs : Math.max(c, s.connectedUs ?? c);
      const base = { ...s, mode, sampleHz, statusUs: e.us, connectedUs };
      if (up) {
        return to(
          { ...base, lastSeenUs: seen(s, e.us), presence: mode === "asleep" ? "asleep" : "online" },
          e.type === "status" ? "status_online" : "connected",
        );
      }
      // A sensor that said it sleeps and then drops its connection is asleep, not offline.
      return to(
        { ...base, presence: mode === "asleep" ? "asleep" : "offline" },
        e.type === "status" ? "status_offline" : "disconnected",
      );
    }
    case "activity": {
      const lastSeenUs = seen(s, e.us);
      // News older than the last status/connection event cannot revive a sensor declared offline after it.
      const fresh = s.statusUs === null || e.us > s.statusUs;
      // Asleep ends only when the sensor says so (a status with mode awake): a sensor may well publish a
      // last reading or log line as it dozes off.
      if (fresh && (s.presence === "silent" || s.presence === "offline")) {
        return to({ ...s, lastSeenUs, presence: "online" }, "activity");
      }
      return { state: { ...s, lastSeenUs }, transition: undefined, stale: false };
    }
    case "tick": {
      if (s.presence !== "online" || s.mode === "asleep") return { state: s, transition: undefined, stale: false };
      const ref = s.lastSeenUs ?? s.statusUs;
      if (ref === null) return { state: s, transition: undefined, stale: false };
      const quietS = (e.us - ref) / 1e6;
      return quietS > silentAfterS(s.sampleHz, policy)
        ? to({ ...s, presence: "silent" }, "no_data")
        : { state: s, transition: undefined, stale: false };
    }
    default: {
      const never: never = e;
      return never;
    }
  }
}
