/** How deeply objects and arrays may nest in a log line's fields: `{"msg":"x","a":{"b":[1]}}` nests 2 levels. */
export const MAX_LOG_FIELD_DEPTH = 32;

const NUL = "\u0000";
const NUL_ERROR = "contains a NUL character (\\u0000), which cannot be stored";

export type Unstorable = { in: "msg" | "fields"; path: Array<string | number>; message: string };
export type UnstorableJson = { path: Array<string | number>; message: string };

/** Why a string cannot be stored as PostgreSQL text; undefined when it can. */
export const unstorableText = (s: string): string | undefined => (s.includes(NUL) ? NUL_ERROR : undefined);

/**
 * Why a log line cannot be stored, and where (a path inside its fields); undefined when it can.
 * PostgreSQL text and jsonb cannot hold U+0000: one such line would fail its whole batch.
 */
export function unstorableLogLine(msg: string, fields: Record<string, unknown>): Unstorable | undefined {
  if (msg.includes(NUL)) return { in: "msg", path: [], message: NUL_ERROR };
  const u = unstorableJson(fields);
  return u && { in: "fields", ...u };
}

/**
 * Why a JSON value cannot be stored as jsonb, and where; undefined when it can. U+0000 is refused in
 * strings and keys; nesting deeper than MAX_LOG_FIELD_DEPTH is refused because serializing it overflows
 * the stack (JSON.stringify at a few thousand levels, PostgreSQL's jsonb parser a little later). The
 * walk is iterative, so the check itself cannot overflow.
 */
export function unstorableJson(root: unknown): UnstorableJson | undefined {
  type Item = { value: unknown; path: Array<string | number> };
  const stack: Item[] = [{ value: root, path: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (typeof value === "string") {
      if (value.includes(NUL)) return { path, message: NUL_ERROR };
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    // The root itself is level 0.
    if (path.length > MAX_LOG_FIELD_DEPTH) {
      return { path, message: `nested deeper than ${MAX_LOG_FIELD_DEPTH} levels` };
    }
    // Children are pushed last to first, so the first problem in document order is the one reported.
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const entries = Object.entries(value);
    const badKey = entries.find(([k]) => k.includes(NUL));
    if (badKey) return { path, message: `the key ${JSON.stringify(badKey[0])} ${NUL_ERROR}` };
    for (const [k, v] of entries.reverse()) stack.push({ value: v, path: [...path, k] });
  }
  return undefined;
}
