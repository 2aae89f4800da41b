import type { ThresholdSpec } from "@sensorstream/alarms";
import { breach, cleared } from "./condition.js";

/** Evaluation state of one (rule, sensor), by reading time in microseconds. */
export type PairState = {
  /** The newest reading applied; readings at or before it change nothing (replays, late arrivals). */
  lastUs: number | null;
  /** Since when the condition holds without having raised yet (for_s not reached). */
  pendingSinceUs: number | null;
  open: boolean;
};
export const NORMAL: PairState = { lastUs: null, pendingSinceUs: null, open: false };

/** One sensor's readings of one metric, sorted by reading time (gather sorts them). */
export type Series = { us: readonly number[]; values: readonly number[] };
export type Transition = { kind: "raise" | "clear"; us: number; value: number; threshold: number };

/**
 * Applies one pair's readings (sorted by reading time). A reading raises once the condition has held for `for_s`
 * by reading time (a spike shorter than that is forgotten by the first reading that does not breach); an open alarm
 * clears when a reading is back past the clear threshold. Pure: the store persists the state and the transitions.
 */
export function step(
  spec: ThresholdSpec,
  state: PairState,
  series: Series,
): { state: PairState; transitions: Transition[] } {
  let { lastUs, pendingSinceUs, open } = state;
  const transitions: Transition[] = [];
  const forUs = spec.for_s * 1_000_000;
  for (let i = 0; i < series.us.length; i++) {
    const p = { us: series.us[i] as number, value: series.values[i] as number };
    if (lastUs !== null && p.us <= lastUs) continue;
    lastUs = p.us;
    if (open) {
      const c = cleared(spec, p.value);
      if (c.cleared) {
        open = false;
        transitions.push({ kind: "clear", us: p.us, value: p.value, threshold: c.threshold });
      }
      continue;
    }
    const b = breach(spec, p.value);
    if (!b.breached) {
      pendingSinceUs = null;
      continue;
    }
    pendingSinceUs ??= p.us;
    if (p.us - pendingSinceUs >= forUs) {
      open = true;
      pendingSinceUs = null;
      transitions.push({ kind: "raise", us: p.us, value: p.value, threshold: b.threshold });
    }
  }
  return { state: { lastUs, pendingSinceUs, open }, transitions };
}

/**
 * Whether a pair's state is worth a row: anything but "never left normal". A pair that raised and cleared within
 * one batch keeps its row too, or a replay of the raising reading would raise again.
 */
export const needsRow = (s: PairState, hadRow: boolean, transitions: number): boolean =>
  hadRow || transitions > 0 || s.open || s.pendingSinceUs !== null;
