import { createHash, timingSafeEqual } from "node:crypto";

export type AccessPolicy = { token: string | undefined; readAccess: "open" | "token" };

export type AccessDecision =
  | { ok: true }
  | { ok: false; status: 401; code: "unauthorized"; message: string }
  | { ok: false; status: 503; code: "api_token_not_configured"; message: string };

/**
 * Who may call a route: writes always need `Authorization: Bearer <API_TOKEN>`; reads too unless reads are
 * open. Without a configured token nothing that needs one can be allowed, and the answer says how to fix it.
 */
export function decideAccess(
  policy: AccessPolicy,
  route: "read" | "write",
  authorization: string | undefined,
): AccessDecision {
  if (route === "read" && policy.readAccess === "open") return { ok: true };
  if (policy.token === undefined) {
    return {
      ok: false,
      status: 503,
      code: "api_token_not_configured",
      message:
        route === "write"
          ? "write routes are disabled because no API token is configured; set API_TOKEN and restart"
          : "this route needs a token but none is configured; set API_TOKEN (or API_READ_ACCESS=open) and restart",
    };
  }
  const presented = bearerToken(authorization);
  if (presented === undefined) {
    return {
      ok: false,
      status: 401,
      code: "unauthorized",
      message: "this route needs the header Authorization: Bearer <API_TOKEN>",
    };
  }
  if (!sameSecret(presented, policy.token)) {
    return {
      ok: false,
      status: 401,
      code: "unauthorized",
      message: "the bearer token is not the configured API_TOKEN",
    };
  }
  return { ok: true };
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 7235). */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? "");
  return m?.[1];
}

/** Constant-time comparison: hashing first makes the lengths equal, so not even the length leaks. */
export function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(a), digest(b));
}
