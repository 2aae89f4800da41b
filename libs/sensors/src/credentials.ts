import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * MQTT passwords are 256-bit random tokens, shown once and stored as SHA-256. With that much entropy a
 * slow password hash buys nothing, and a fast one lets the gateway check credentials on every connect.
 */
export const newToken = (): string => randomBytes(32).toString("base64url");

export const hashToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

export function tokenMatches(token: string, storedHash: string | null | undefined): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(hashToken(token), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
