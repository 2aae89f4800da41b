import { CommanderError } from "commander";
import { CliError, EXIT, type ExitCode } from "./errors.js";
import type { Io } from "./io.js";
import { buildProgram } from "./program.js";

/** Runs iotctl with `argv` (the arguments after the program name) and returns its exit code. */
export async function run(argv: readonly string[], io: Io): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed the problem or the help already; --help and --version are not failures.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      io.stderr(`iotctl: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
