import type { z } from "zod";

/** Why a message was refused; also the `x-reason` header of a dead letter and a metric label value. */
export const REJECT_REASONS = [
  "invalid_topic",
  "malformed_json",
  "invalid_payload",
  "payload_too_large",
  "unknown_sensor",
  "not_authorized",
  "unroutable",
  "permanent_store_error",
  "unsupported_version",
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type Rejection = { ok: false; reason: RejectReason; error: string };

/** One line per problem, `path: message`, so a device developer sees every fix to make at once. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix = ""): string {
  return issues
    .slice(0, 10)
    .map((i) => {
      const path = [prefix, ...i.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p)))]
        .filter((p) => p !== "")
        .join(".")
        .replace(/\.\[/g, "[");
      return `${path || "(payload)"}: ${i.message}`;
    })
    .join("; ");
}
