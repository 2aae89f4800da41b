export const OUTPUT_FORMATS = ["table", "json"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type Column<T> = { header: string; value: (row: T) => unknown };

/** A cell as a person reads it: nothing for null, JSON for objects. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** Left-aligned columns, two spaces apart, headers in capitals. */
export function table<T>(columns: Column<T>[], rows: readonly T[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => cell(c.value(r))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? "").length)));
  return cells
    .map((line) =>
      line
        .map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}

/** One object as `key  value` lines (nested objects flattened to `a.b`). */
export function keyValues(obj: Record<string, unknown>): string {
  const rows: { key: string; value: unknown }[] = [];
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      const key = prefix + k;
      const plain = v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0;
      if (plain && k !== "metadata" && k !== "args") walk(v as Record<string, unknown>, `${key}.`);
      else rows.push({ key, value: v });
    }
  };
  walk(obj, "");
  return table(
    [
      { header: "FIELD", value: (r) => r.key },
      { header: "VALUE", value: (r) => r.value },
    ],
    rows,
  );
}

export const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
