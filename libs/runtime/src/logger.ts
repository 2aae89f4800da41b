import { pino } from "pino";

export type { Logger } from "pino";

export type LoggerOptions = { service: string; version: string; level: string };

/** One root logger per process, JSON to stdout; children per message carry sensor_id / msg_id. */
export function createLogger(opts: LoggerOptions) {
  return pino({
    level: opts.level,
    base: { service: opts.service, version: opts.version },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** A logger that writes nothing, for tests and tools. */
export const silentLogger = () => pino({ level: "silent" });
