/** Seconds per unit of a window such as `active_within=30d`. */
const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 } as const;

const DURATION = /^([0-9]{1,7})([smhdw])$/;

export type DurationResult = { ok: true; seconds: number } | { ok: false; error: string };

/**
 * A positive whole number and one unit: `90s`, `15m`, `12h`, `30d`, `2w`. One unit only (no `1h30m`): every
 * window an operator asks for can be written that way, and the grammar stays obvious in docs and errors.
 */
export function parseDuration(text: string, max: { seconds: number; text: string }): DurationResult {
  const m = DURATION.exec(text);
  if (!m) {
    return {
      ok: false,
      error: `"${text.slice(0, 20)}" is not a duration; write a whole number and a unit s, m, h, d or w (e.g. 90s, 15m, 12h, 30d)`,
    };
  }
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
  if (seconds === 0) return { ok: false, error: "the duration must be longer than zero" };
  if (seconds > max.seconds) return { ok: false, error: `"${text}" is longer than the maximum, ${max.text}` };
  return { ok: true, seconds };
}
