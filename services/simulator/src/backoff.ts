import type { Random } from "./signals.js";

/** How long a sensor waits before its next connection attempt: doubling from baseMs, capped at maxMs. */
export type BackoffPolicy = { baseMs: number; maxMs: number };

const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 };

/**
 * The wait before retry number `failures` (1 after the first failed or dropped connection): exponential with "equal
 * jitter" — half the step is fixed, half random — so a fleet refused at once (a per-IP connect rate, a restarted
 * gateway) spreads its retries out instead of coming back in lockstep, and never waits less than half a step.
 */
export function reconnectDelayMs(failures: number, random: Random, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Math.max(1, Math.floor(failures));
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Why a sensor is not connected, as its progress line tells it. */
export type NotConnectedReason =
  | "refused: server unavailable (rate limit, connection cap or store down)"
  | "refused: bad credentials"
  | "refused: not authorized"
  | "refused: client id rejected"
  | "refused: other"
  | "unreachable"
  | "timed out"
  | "connection lost";

/** MQTT 3.1.1 CONNACK return codes (mqtt.js puts them on the error's `code`). */
const CONNACK: Record<number, NotConnectedReason> = {
  1: "refused: other",
  2: "refused: client id rejected",
  3: "refused: server unavailable (rate limit, connection cap or store down)",
  4: "refused: bad credentials",
  5: "refused: not authorized",
};

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

/** Classifies a connection error from mqtt.js (a CONNACK refusal carries its return code, a socket error its errno). */
export function notConnectedReason(err: Error & { code?: unknown }): NotConnectedReason {
  if (typeof err.code === "number") return CONNACK[err.code] ?? "refused: other";
  if (typeof err.code === "string" && UNREACHABLE.has(err.code)) return "unreachable";
  if (/timeout/i.test(err.message)) return "timed out";
  return "connection lost";
}
