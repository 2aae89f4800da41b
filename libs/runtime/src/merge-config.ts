import { z } from "zod";

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** The shape of several config schemas together, with `O` replacing what it names. */
export type MergedShape<T extends readonly z.ZodObject[], O extends z.ZodRawShape> = Omit<
  UnionToIntersection<T[number]["shape"]>,
  keyof O
> &
  O;

export class ConfigConflictError extends Error {
  constructor(readonly keys: string[]) {
    super(
      `config schemas define ${keys.join(", ")} differently; take the variable from a shared fragment ` +
        "(@sensorstream/runtime config-fragments) or override it for the merged process",
    );
    this.name = "ConfigConflictError";
  }
}

/**
 * One schema for a process that runs several services: every variable any of them reads. A
 * variable several services read must be the same zod value in each (a shared fragment), unless
 * `overrides` redefines it for this process (e.g. another default); anything else throws, so two
 * services never silently disagree on what a variable means.
 */
export function mergeConfigSchemas<const T extends readonly z.ZodObject[], O extends z.ZodRawShape>(
  schemas: T,
  overrides: O,
): z.ZodObject<MergedShape<T, O>> {
  const shape: Record<string, z.core.SomeType> = {};
  const conflicts = new Set<string>();
  for (const schema of schemas) {
    for (const [key, type] of Object.entries(schema.shape)) {
      if (key in overrides) continue;
      const seen = shape[key];
      if (seen !== undefined && seen !== type) conflicts.add(key);
      shape[key] = type;
    }
  }
  if (conflicts.size > 0) throw new ConfigConflictError([...conflicts].sort());
  // The loop above builds exactly MergedShape<T, O>; TypeScript cannot follow it through Object.entries.
  return z.object({ ...shape, ...overrides }) as unknown as z.ZodObject<MergedShape<T, O>>;
}
