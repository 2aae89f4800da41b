import { formatMicros } from "@sensorstream/contracts";
import type { FleetStats } from "./options.js";

/** The fleet's mutable tallies; `snapshot` turns them into the wire-shaped FleetStats. */
export type Counters = {
  sensors: number;
  connected: number;
  messagesSent: number;
  messagesAcked: number;
  readingsSent: number;
  readingsAcked: number;
  valuesAcked: number;
  positionsAcked: number;
  publishErrors: number;
  connectErrors: number;
  /** Data messages sent and not yet acked or failed. */
  inflight: number;
  asleep: number;
  commandsReceived: number;
  acksOk: number;
  acksError: number;
  commandsIgnored: number;
  commandsMalformed: number;
  lastError: string | null;
  /** Sensors not connected now, by why their last attempt failed. */
  notConnected: Map<string, number>;
};

export const createCounters = (sensors: number): Counters => ({
  sensors,
  connected: 0,
  messagesSent: 0,
  messagesAcked: 0,
  readingsSent: 0,
  readingsAcked: 0,
  valuesAcked: 0,
  positionsAcked: 0,
  publishErrors: 0,
  connectErrors: 0,
  inflight: 0,
  asleep: 0,
  commandsReceived: 0,
  acksOk: 0,
  acksError: 0,
  commandsIgnored: 0,
  commandsMalformed: 0,
  lastError: null,
  notConnected: new Map(),
});

export function snapshot(c: Counters, startUs: number, nowUs: number): FleetStats {
  const elapsedS = Math.max(0, (nowUs - startUs) / 1_000_000);
  return {
    sensors: c.sensors,
    connected: c.connected,
    messages_sent: c.messagesSent,
    messages_acked: c.messagesAcked,
    readings_sent: c.readingsSent,
    readings_acked: c.readingsAcked,
    values_acked: c.valuesAcked,
    positions_acked: c.positionsAcked,
    publish_errors: c.publishErrors,
    connect_errors: c.connectErrors,
    asleep: c.asleep,
    commands_received: c.commandsReceived,
    acks_ok: c.acksOk,
    acks_error: c.acksError,
    commands_ignored: c.commandsIgnored,
    commands_malformed: c.commandsMalformed,
    last_error: c.lastError,
    not_connected: Object.fromEntries([...c.notConnected].filter(([, n]) => n > 0)),
    started_at: formatMicros(startUs),
    elapsed_s: Math.round(elapsedS * 1000) / 1000,
    readings_per_s: elapsedS > 0 ? Math.round((c.readingsAcked / elapsedS) * 10) / 10 : 0,
  };
}
