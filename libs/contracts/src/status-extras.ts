/**
 * What a status message may carry beside its known fields (`battery_pct`, `site`, …). The registry keeps these
 * as the sensor's device-reported metadata, so they are bounded: a device cannot grow a row without limit, nest
 * deeper than PostgreSQL's jsonb parser or JSON.stringify can take, or send U+0000 (which jsonb cannot hold and
 * which would fail every retry of the write).
 */
export const STATUS_FIELDS = ["state", "mode", "sample_hz", "type", "model", "firmware"] as const;
export const MAX_STATUS_EXTRA_KEYS = 32;
export const MAX_STATUS_EXTRA_BYTES = 4_096;
/** `{"site":{"dock":4}}` nests 2 levels. */
export const MAX_STATUS_EXTRA_DEPTH = 4;
/** Sample rates a status may report: above 0 (1e-300 made the silence interval absurd), at most 100 kHz. */
export const MIN_SAMPLE_HZ = 1e-6;
export const MAX_SAMPLE_HZ = 100_000;

const KNOWN = new Set<string>(STATUS_FIELDS);
const NUL = "\u0000";

/** The fields of a status beyond the known ones. */
export function statusExtras(status: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(status).filter(([k]) => !KNOWN.has(k)));
}

/** Why these extra fields cannot be kept (path and message), or undefined. Iterative: it cannot overflow. */
export function statusExtrasProblem(
  extras: Record<string, unknown>,
): { path: Array<string | number>; message: string } | undefined {
  const keys = Object.keys(extras);
  if (keys.length > MAX_STATUS_EXTRA_KEYS) {
    return { path: [], message: `${keys.length} extra fields; at most ${MAX_STATUS_EXTRA_KEYS}` };
  }
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: extras, path: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (typeof value === "string") {
      if (value.includes(NUL)) return { path, message: "contains a NUL character (\\u0000)" };
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (path.length >= MAX_STATUS_EXTRA_DEPTH) {
      return { path, message: `nested deeper than ${MAX_STATUS_EXTRA_DEPTH} levels` };
    }
    const children: Array<[string | number, unknown]> = Array.isArray(value)
      ? [...value.entries()]
      : Object.entries(value);
    for (const [k, v] of children.reverse()) {
      if (typeof k === "string" && k.includes(NUL))
        return { path, message: "a key contains a NUL character (\\u0000)" };
      stack.push({ value: v, path: [...path, k] });
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(extras), "utf8");
  if (bytes > MAX_STATUS_EXTRA_BYTES) {
    return { path: [], message: `extra fields take ${bytes} bytes as JSON; at most ${MAX_STATUS_EXTRA_BYTES}` };
  }
  return undefined;
}
