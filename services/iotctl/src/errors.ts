/**
 * iotctl's exit codes. Scripts switch on them, so they only ever get added to.
 * 0: done (with --wait: every command was acked; without: the API accepted every command).
 */
export const EXIT = {
  ok: 0,
  /** --wait: at least one command failed or expired; or a selection matched no sensor. */
  notAcked: 1,
  /** Bad arguments or options (nothing was sent). */
  usage: 2,
  /** The API could not be reached, refused the request, or answered with an error. */
  api: 3,
  /** --wait: the timeout passed while some command was still queued or sent. */
  timeout: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the user can act on: the message says what to do; it goes to stderr and sets the exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** The API was unreachable or overloaded (5xx): asking again later may work. */
    readonly transient = false,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export const usageError = (message: string): CliError => new CliError(message, EXIT.usage);
