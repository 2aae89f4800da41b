import type { CommandRecord } from "@sensorstream/commands";
import type { CommandName } from "@sensorstream/contracts";

export type SensorSettings = {
  desiredMode: "awake" | "asleep" | null;
  reportedMode: "awake" | "asleep" | null;
  desiredHz: number | null;
  reportedHz: number | null;
};
export type Needed = { name: CommandName; args: Record<string, unknown> };

/**
 * What a sensor that came back with a stale state needs to converge: a mode command when its reported mode is not
 * the desired one, a rate command when its rate is not, unless a pending command of that kind is already on its
 * way. Pure.
 */
export function commandsToConverge(s: SensorSettings, pending: readonly CommandRecord[]): Needed[] {
  const out: Needed[] = [];
  const pendingMode = pending.some((c) => c.name === "sleep" || c.name === "awake");
  const pendingRate = pending.some((c) => c.name === "change_sample_frequency");
  if (s.desiredMode !== null && s.desiredMode !== s.reportedMode && !pendingMode) {
    out.push({ name: s.desiredMode === "asleep" ? "sleep" : "awake", args: {} });
  }
  if (s.desiredHz !== null && s.desiredHz !== s.reportedHz && !pendingRate) {
    out.push({ name: "change_sample_frequency", args: { hz: s.desiredHz } });
  }
  return out;
}
