import type { NoDataSpec } from "@sensorstream/alarms";
import { applies, type Prepared } from "./rules.js";

export type Candidate = { id: string; type: string | null; updatedMs: number };
export type NoDataRaise = { sensorId: string; silentS: number; atMs: number };

/**
 * Which awake sensors in the rule's scope have sent nothing for for_s: silence counts from the newest of their last
 * data, the rule's last change and the sensor's (an operator waking a sensor up restarts the count), so a new rule or
 * a woken sensor does not raise at once. Sensors with an open alarm of the rule are skipped; asleep ones are never
 * candidates. `seenMs` is when the alarm service last received data from each sensor.
 */
export function dueForNoData(
  rule: Prepared<NoDataSpec>,
  awake: readonly Candidate[],
  seenMs: ReadonlyMap<string, number>,
  open: ReadonlySet<string>,
  nowMs: number,
): NoDataRaise[] {
  const out: NoDataRaise[] = [];
  const forMs = rule.spec.for_s * 1000;
  for (const s of awake) {
    if (open.has(s.id) || !applies(rule, s.id, s.type)) continue;
    const since = Math.max(seenMs.get(s.id) ?? 0, rule.updatedMs, s.updatedMs);
    if (nowMs - since >= forMs) out.push({ sensorId: s.id, silentS: (nowMs - since) / 1000, atMs: since + forMs });
  }
  return out;
}

/** Open no-data alarms to clear because their sensor is no longer meant to be awake (told to sleep) or left the scope. */
export function noLongerWatched(
  rule: Prepared<NoDataSpec>,
  awake: ReadonlyMap<string, Candidate>,
  open: ReadonlySet<string>,
): string[] {
  return [...open].filter((id) => {
    const s = awake.get(id);
    return !s || !applies(rule, id, s.type);
  });
}
