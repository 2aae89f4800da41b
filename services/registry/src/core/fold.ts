import {
  nextPresence,
  type PresenceEvent,
  type PresencePolicy,
  type SensorPresence,
  type Transition,
} from "./presence.js";

/** What a status message says about the sensor besides its presence. */
type Description = {
  type?: string | undefined;
  model?: string | undefined;
  firmware?: string | undefined;
  /** Device-reported metadata (bounded by the contract); replaces the previous set when non-empty. */
  extras?: Record<string, unknown> | undefined;
};
type Position = { lat: number; lon: number; us: number };

/** One event for one sensor, taken from message number `source` of a batch. */
export type SensorEvent = {
  sensorId: string;
  source: number;
  event: PresenceEvent;
  description?: Description | undefined;
  position?: Position | undefined;
};

type Outcome = "applied" | "stale" | "unknown_sensor";
type TimedTransition = Transition & { us: number };

/** What a batch did to one sensor: its final state and everything to write and announce. */
export type SensorChange = {
  sensorId: string;
  state: SensorPresence;
  transitions: TimedTransition[];
  connection: "connected" | "disconnected" | undefined;
  description: Description | undefined;
  position: Position | undefined;
};

export type Folded = { changes: SensorChange[]; outcomes: Outcome[] };

/**
 * Applies a batch of events, in order, to the sensors' current states. Each sensor's events apply in the
 * order given (delivery order); sensors are independent. Events of sensors absent from `states` are
 * unknown_sensor. Pure: the store loads and locks the states and writes the changes.
 */
export function foldEvents(
  states: ReadonlyMap<string, SensorPresence>,
  events: readonly SensorEvent[],
  policy: PresencePolicy,
): Folded {
  const changes = new Map<string, SensorChange>();
  const outcomes = events.map((e): Outcome => {
    let c = changes.get(e.sensorId);
    if (c === undefined) {
      const state = states.get(e.sensorId);
      if (state === undefined) return "unknown_sensor";
      c = {
        sensorId: e.sensorId,
        state,
        transitions: [],
        connection: undefined,
        description: undefined,
        position: undefined,
      };
      changes.set(e.sensorId, c);
    }
    const r = nextPresence(c.state, e.event, policy);
    if (r.stale) return "stale";
    c.state = r.state;
    if (r.transition) c.transitions.push({ ...r.transition, us: e.event.us });
    if (e.event.type === "connection") c.connection = e.event.connected ? "connected" : "disconnected";
    if (e.description) c.description = describe(c.description, e.description);
    if (e.position && (c.position === undefined || e.position.us >= c.position.us)) c.position = e.position;
    return "applied";
  });
  return { changes: [...changes.values()], outcomes };
}

/** Later fields win; device-reported extras are replaced as a set by the latest status that carries any. */
function describe(prev: Description | undefined, next: Description): Description {
  const out: Description = { ...prev };
  if (next.type !== undefined) out.type = next.type;
  if (next.model !== undefined) out.model = next.model;
  if (next.firmware !== undefined) out.firmware = next.firmware;
  if (next.extras !== undefined && Object.keys(next.extras).length > 0) out.extras = next.extras;
  return out;
}
