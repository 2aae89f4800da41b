import type { ThresholdSpec } from "@sensorstream/alarms";

/** Whether a value breaches the rule (called once per reading and rule: no allocation). */
export function breaches(spec: ThresholdSpec, v: number): boolean {
  switch (spec.op) {
    case ">":
      return v > spec.threshold;
    case ">=":
      return v >= spec.threshold;
    case "<":
      return v < spec.threshold;
    case "<=":
      return v <= spec.threshold;
    case "outside":
      return v > spec.high || v < spec.low;
  }
}

/** The bound a breaching value crossed: the alert's threshold. */
export const breachThreshold = (spec: ThresholdSpec, v: number): number =>
  spec.op === "outside" ? (v > spec.high ? spec.high : spec.low) : spec.threshold;

/**
 * Whether a value is back past the clear threshold (hysteresis): the condition, with the clear threshold in place of
 * the threshold, no longer holds. With clear_threshold = threshold this is simply "no longer breached".
 */
export function clears(spec: ThresholdSpec, v: number): boolean {
  switch (spec.op) {
    case ">":
      return v <= spec.clear_threshold;
    case ">=":
      return v < spec.clear_threshold;
    case "<":
      return v >= spec.clear_threshold;
    case "<=":
      return v > spec.clear_threshold;
    case "outside":
      return v >= spec.clear_low && v <= spec.clear_high;
  }
}

/** The clear bound a clearing value is past: the alert's threshold. */
export const clearThreshold = (spec: ThresholdSpec, v: number): number =>
  spec.op === "outside" ? (v > spec.clear_high ? spec.clear_high : spec.clear_low) : spec.clear_threshold;

/** Whether any value within [min, max] could breach: when not, a quiet rule skips the series in O(1). */
export function mayBreach(spec: ThresholdSpec, min: number, max: number): boolean {
  return breaches(spec, min) || breaches(spec, max);
}

/** Whether any value within [min, max] could clear (conservative for outside: the band may lie between them). */
export function mayClear(spec: ThresholdSpec, min: number, max: number): boolean {
  if (spec.op === "outside") return !(max < spec.clear_low || min > spec.clear_high);
  return clears(spec, min) || clears(spec, max);
}
