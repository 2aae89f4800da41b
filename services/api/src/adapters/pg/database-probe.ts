import type { Pool } from "@sensorstream/db";
import type { Logger } from "@sensorstream/runtime";

/**
 * Readiness of a process that only reads the database: `SELECT 1` now and every `intervalMs`.
 * /readyz says not ready while it fails, so a load balancer sends requests elsewhere.
 */
export function watchDatabase(pool: Pool, logger: Logger, intervalMs = 5_000): { ok(): boolean; stop(): void } {
  let ok = false;
  const check = async () => {
    try {
      await pool.query("SELECT 1");
      if (!ok) logger.info("database reachable");
      ok = true;
    } catch (err) {
      if (ok) logger.warn({ err }, "database unreachable");
      ok = false;
    }
  };
  void check();
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return { ok: () => ok, stop: () => clearInterval(timer) };
}
