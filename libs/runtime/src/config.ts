import { z } from "zod";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Parses the environment with a zod object schema whose keys are the variable names.
 * An empty or blank variable counts as unset. Every problem is listed at once; the result is frozen.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined>,
): Readonly<z.output<S>> {
  const present: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    // Blank counts as unset: z.coerce.number() would read "  " as 0 (for a port: a random one).
    if (v !== undefined && v.trim() !== "") present[key] = v;
  }
  const r = schema.safeParse(present);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues.map((i) => {
        const key = i.path.join(".");
        const got = present[key];
        return `${key}: ${i.message}${got === undefined ? " (not set)" : ` (got "${shown(key, got)}")`}`;
      }),
    );
  }
  return Object.freeze(r.data);
}

/** What an error message may show of a value: never a secret, never a password inside a URL. */
function shown(key: string, value: string): string {
  if (/TOKEN|PASSWORD|SECRET/.test(key)) return "(hidden)";
  try {
    const u = new URL(value);
    if (u.password) {
      u.password = "***";
      return u.toString().slice(0, 80);
    }
  } catch {
    // not a URL: shown as it is
  }
  return value.slice(0, 60);
}

/** Building blocks for service config schemas. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  /** A port that may be unset, so the caller can tell "chosen by the operator" from "default". */
  optionalPort: () => z.coerce.number().int().min(0).max(65535).optional(),
  flag: (fallback: boolean) => z.stringbool().default(fallback),
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number().int().min(min).max(max).default(fallback),
  url: (fallback: string, protocols: readonly string[]) =>
    z
      .string()
      .default(fallback)
      .refine(
        (u) => {
          try {
            return protocols.includes(new URL(u).protocol);
          } catch {
            return false;
          }
        },
        `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`,
      ),
  logLevel: () => z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
} as const;

/** For a main.ts: loads the config or prints every problem (no stack trace) and exits 2. */
export function configOrExit<T>(load: () => T, service: string): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: ${err.message}\nSee README.md, "Configuration".\n`);
      process.exit(2);
    }
    throw err;
  }
}
