import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger } from "pino";

/** `service` is left out for a process that runs several services: each gets a child logger carrying its name. */
export type LoggerOptions = {
  service?: string;
  version: string;
  level: string;
  /** Default stdout; a test passes a stream to read the lines back. */
  destination?: DestinationStream;
};

/**
 * One root logger per process, JSON to stdout, `version` on every line. A service logs through
 * `root.child({ service })` (see runService and the all-in-one platform); the message pipeline adds
 * children per message that carry sensor_id / msg_id.
 */
export function createLogger(opts: LoggerOptions) {
  const options = {
    level: opts.level,
    base: opts.service === undefined ? { version: opts.version } : { service: opts.service, version: opts.version },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that writes nothing, for tests and tools. */
export const silentLogger = () => pino({ level: "silent" });

/** Where a logger writes (its pino destination): a worker thread's lines are written there by its process. */
export const destinationOf = (logger: Logger): DestinationStream | undefined =>
  (logger as unknown as Record<symbol, DestinationStream | undefined>)[pino.symbols.streamSym];
