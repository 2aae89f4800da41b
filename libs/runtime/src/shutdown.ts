import type { Logger } from "pino";

export type ShutdownOptions = { logger: Logger; stop: () => Promise<void>; drainTimeoutMs: number };

/**
 * SIGTERM/SIGINT drain and exit 0; a second signal or an expired drain exits 1.
 * Unhandled rejections and uncaught exceptions are fatal: log, drain, exit 1, and let the
 * orchestrator restart the process.
 */
export function installShutdown(opts: ShutdownOptions): { shutdown: (code: number) => Promise<void> } {
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => {
      opts.logger.error({ drain_timeout_ms: opts.drainTimeoutMs }, "drain did not finish in time; exiting");
      process.exit(1);
    }, opts.drainTimeoutMs);
    timer.unref();
    try {
      await opts.stop();
      opts.logger.info("stopped");
    } catch (err) {
      opts.logger.error({ err }, "error while stopping");
      code = 1;
    }
    opts.logger.flush?.();
    process.exit(code);
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) {
        opts.logger.warn({ signal }, "second signal: exiting without draining");
        process.exit(1);
      }
      opts.logger.info({ signal }, "draining");
      void shutdown(0);
    });
  }
  process.on("unhandledRejection", (err) => {
    opts.logger.fatal({ err }, "unhandled rejection");
    void shutdown(1);
  });
  process.on("uncaughtException", (err) => {
    opts.logger.fatal({ err }, "uncaught exception");
    void shutdown(1);
  });
  return { shutdown };
}
