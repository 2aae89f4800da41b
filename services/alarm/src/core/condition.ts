import type { ThresholdSpec } from "@sensorstream/alarms";

/** Whether a value breaches the rule, and which bound it crossed (the alert's threshold). */
export function breach(spec: ThresholdSpec, v: number): { breached: boolean; threshold: number } {
  switch (spec.op) {
    case ">":
      return { breached: v > spec.threshold, threshold: spec.threshold };
    case ">=":
      return { breached: v >= spec.threshold, threshold: spec.threshold };
    case "<":
      return { breached: v < spec.threshold, threshold: spec.threshold };
    case "<=":
      return { breached: v <= spec.threshold, threshold: spec.threshold };
    case "outside":
      return v > spec.high ? { breached: true, threshold: spec.high } : { breached: v < spec.low, threshold: spec.low };
  }
}

/**
 * Whether a value is back past the clear threshold (hysteresis): the condition, with the clear threshold in place of
 * the threshold, no longer holds. With clear_threshold = threshold this is simply "no longer breached".
 */
export function cleared(spec: ThresholdSpec, v: number): { cleared: boolean; threshold: number } {
  switch (spec.op) {
    case ">":
      return { cleared: v <= spec.clear_threshold, threshold: spec.clear_threshold };
    case ">=":
      return { cleared: v < spec.clear_threshold, threshold: spec.clear_threshold };
    case "<":
      return { cleared: v >= spec.clear_threshold, threshold: spec.clear_threshold };
    case "<=":
      return { cleared: v > spec.clear_threshold, threshold: spec.clear_threshold };
    case "outside":
      return {
        cleared: v >= spec.clear_low && v <= spec.clear_high,
        threshold: v > spec.clear_high ? spec.clear_high : spec.clear_low,
      };
  }
}
