import type { CommandName } from "@sensorstream/contracts";

/** What a command asks the sensor to be: the registry's desired mode or rate (the rest stays as it was). */
export function desiredOf(
  name: CommandName,
  args: Record<string, unknown>,
): { mode?: "awake" | "asleep"; sample_hz?: number } {
  if (name === "sleep") return { mode: "asleep" };
  if (name === "awake") return { mode: "awake" };
  return typeof args.hz === "number" ? { sample_hz: args.hz } : {};
}
