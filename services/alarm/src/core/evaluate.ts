import type { ThresholdSpec } from "@sensorstream/alarms";
import { breaches, breachThreshold, clears, clearThreshold, mayBreach, mayClear } from "./condition.js";

/** Evaluation state of one (rule, sensor), by reading time in microseconds. */
export type PairState = {
  /** The newest reading applied; readings at or before it change nothing (replays, late arrivals). */
  lastUs: number | null;
  /** Since when the condition holds without having raised yet (for_s not reached). */
  pendingSinceUs: number | null;
  open: boolean;
};
export const NORMAL: PairState = { lastUs: null, pendingSinceUs: null, open: false };

/** One sensor's readings of one metric, sorted by reading time, with their extremes (gather builds it). */
export type Series = { us: readonly number[]; values: readonly number[]; min: number; max: number };
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
  const n = series.us.length;
  const newest = series.us[n - 1];
  if (newest === undefined || (state.lastUs !== null && newest <= state.lastUs)) return { state, transitions: [] };
  // The common case, in O(1): no value of the series can change the state, only the newest reading time moves (a
  // pending period ends at any non-breaching reading, and none breaches).
  if (state.open ? !mayClear(spec, series.min, series.max) : !mayBreach(spec, series.min, series.max)) {
    return { state: { lastUs: newest, pendingSinceUs: null, open: state.open }, transitions: [] };
  }
  let { lastUs, pendingSinceUs, open } = state;
  const transitions: Transition[] = [];
  const forUs = spec.for_s * 1_000_000;
  for (let i = 0; i < n; i++) {
    const us = series.us[i] as number;
    if (lastUs !== null && us <= lastUs) continue;
    lastUs = us;
    const value = series.values[i] as number;
    if (open) {
      if (clears(spec, value)) {
        open = false;
        transitions.push({ kind: "clear", us, value, threshold: clearThreshold(spec, value) });
      }
      continue;
    }
    if (!breaches(spec, value)) {
      pendingSinceUs = null;
      continue;
    }
    pendingSinceUs ??= us;
    if (us - pendingSinceUs >= forUs) {
      open = true;
      pendingSinceUs = null;
      transitions.push({ kind: "raise", us, value, threshold: breachThreshold(spec, value) });
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
