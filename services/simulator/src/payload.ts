import { formatMicros } from "@sensorstream/contracts";
import { type SensorClock, sampleTimeUs } from "./schedule.js";
import type { SensorType, Signal } from "./signals.js";

/** A reading as the simulator puts it on the wire (see ARCHITECTURE.md, "data"). */
export type WireReading = {
  ts: string;
  values: Record<string, number>;
  lat?: number;
  lon?: number;
  seq: number;
};

/** One `sensors/<id>/data` message and what it holds, for the fleet's counters. */
export type DataMessage = { payload: string; readings: number; values: number; positions: number };

/**
 * Samples `clock.batch` consecutive readings starting at sample `firstK` and encodes them:
 * a single object when the batch is 1, an array otherwise. `seq` is the sample index.
 */
export function buildDataMessage(signal: Signal, clock: SensorClock, firstK: number): DataMessage {
  const readings: WireReading[] = [];
  let values = 0;
  let positions = 0;
  for (let k = firstK; k < firstK + clock.batch; k++) {
    const timeUs = sampleTimeUs(clock, k);
    const sample = signal(timeUs);
    const ts = formatMicros(timeUs);
    const { lat, lon } = sample;
    const hasPosition = lat !== undefined && lon !== undefined;
    readings.push(
      hasPosition ? { ts, values: sample.values, lat, lon, seq: k } : { ts, values: sample.values, seq: k },
    );
    if (hasPosition) positions++;
    values += Object.keys(sample.values).length;
  }
  const payload = JSON.stringify(readings.length === 1 ? readings[0] : readings);
  return { payload, readings: readings.length, values, positions };
}

const SIM_MODEL = "sim-1";
const SIM_FIRMWARE = "1.0.0";

/**
 * The retained status published on every (re)connect (the birth) and after every command that changes the mode or
 * the rate: what the sensor is doing now.
 */
export const birthStatus = (type: SensorType, rateHz: number, mode: "awake" | "asleep" = "awake"): string =>
  JSON.stringify({
    state: "online",
    mode,
    sample_hz: rateHz,
    type,
    model: SIM_MODEL,
    firmware: SIM_FIRMWARE,
  });

/** The Last Will, published by the broker only when the connection dies without a DISCONNECT. */
export const WILL_STATUS = JSON.stringify({ state: "offline" });

/**
 * Published before a graceful DISCONNECT so the retained status does not keep saying "online";
 * `reason` (an extra field the contract tolerates) tells a shutdown from a crash.
 */
export const SHUTDOWN_STATUS = JSON.stringify({ state: "offline", reason: "shutdown" });
