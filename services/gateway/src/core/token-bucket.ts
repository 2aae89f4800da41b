export type Bucket = { tokens: number; at: number };

/**
 * One connect attempt against a per-IP token bucket (`ratePerS` refilled per second, bursts of twice that).
 * Pure: returns the bucket to store and whether the attempt may proceed.
 */
export function takeToken(prev: Bucket | undefined, now: number, ratePerS: number): { bucket: Bucket; ok: boolean } {
  const burst = ratePerS * 2;
  const tokens = prev ? Math.min(burst, prev.tokens + (Math.max(0, now - prev.at) / 1000) * ratePerS) : burst;
  if (tokens < 1) return { bucket: { tokens, at: now }, ok: false };
  return { bucket: { tokens: tokens - 1, at: now }, ok: true };
}
