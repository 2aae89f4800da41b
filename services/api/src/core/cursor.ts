/**
 * Opaque page cursors: base64url of a JSON array whose first element names the listing it belongs to, so a
 * cursor from one listing is refused by another instead of silently meaning something else. Clients pass
 * back what they were given; what is inside may change between versions.
 */
export function encodeCursor(kind: string, parts: readonly string[]): string {
  return Buffer.from(JSON.stringify([kind, ...parts]), "utf8").toString("base64url");
}

/** The `arity` parts of a cursor of this kind, or undefined when the text is not one. */
export function decodeCursor(kind: string, text: string, arity: number): string[] | undefined {
  if (text.length === 0 || text.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== arity + 1 || value[0] !== kind) return undefined;
  const parts = value.slice(1);
  return parts.every((p): p is string => typeof p === "string") ? parts : undefined;
}

/**
 * A keyset page from rows fetched with `limit + 1`: the extra row only tells that more follow. `next` is the
 * cursor of the last row shown, or null on the last page.
 */
export function pageOf<R, C>(
  rows: readonly R[],
  limit: number,
  cursorOf: (last: R) => C,
): { items: R[]; next: C | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
