#!/usr/bin/env node
import { readFile } from "node:fs/promises";
import { parseSimulatorArgs, USAGE_EXIT_CODE } from "./cli.js";
import { startFleet } from "./fleet.js";
import type { FleetStats } from "./options.js";
import { exitCodeFor, formatProgress, formatSummary } from "./report.js";
import { prepareFleet } from "./setup.js";

const command = parseSimulatorArgs(process.argv.slice(2));
switch (command.kind) {
  case "help":
    process.stdout.write(command.text);
    process.exit(0);
    break;
  case "usage_error":
    process.stderr.write(`sensorstream-simulate: ${command.message}\nTry --help.\n`);
    process.exit(USAGE_EXIT_CODE);
    break;
  case "run": {
    const log = command.quiet ? undefined : (line: string) => process.stderr.write(`${line}\n`);
    const fleet = await prepareFleet(command.fleet, command.setup ?? {}, { readFile, ...(log ? { log } : {}) }).catch(
      (err: unknown) => {
        process.stderr.write(`sensorstream-simulate: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
    await run(fleet, command.json, command.quiet);
    break;
  }
  default: {
    const never: never = command;
    throw new Error(`unhandled command ${JSON.stringify(never)}`);
  }
}

async function run(options: Parameters<typeof startFleet>[0], json: boolean, quiet: boolean): Promise<void> {
  let previous: FleetStats | undefined;
  const fleet = startFleet({
    ...options,
    ...(quiet
      ? {}
      : {
          onProgress: (stats: FleetStats) => {
            process.stderr.write(`${formatProgress(previous, stats)}\n`);
            previous = stats;
          },
        }),
  });
  if (!quiet) {
    const until = options.durationS ? `for ${options.durationS} s` : "until Ctrl-C";
    process.stderr.write(
      `${fleet.sensorIds.length} sensors (${fleet.sensorIds[0]} …) at ${options.rateHz} Hz, ` +
        `batch ${options.batch ?? 1}, to ${options.mqttUrl}, ${until}\n`,
    );
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`${signal} again: exiting without waiting for acknowledgements\n`);
      process.exit(1);
    }
    if (!quiet) process.stderr.write(`${signal}: stopping, waiting for outstanding acknowledgements\n`);
    void fleet.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("unhandledRejection", (err) => {
    process.stderr.write(`fatal: unhandled rejection: ${String(err)}\n`);
    void fleet.stop().finally(() => process.exit(1));
  });

  const stats = await fleet.done;
  if (json) process.stdout.write(`${JSON.stringify(stats)}\n`);
  else process.stdout.write(`${formatSummary(stats)}\n`);
  process.exit(exitCodeFor(stats));
}
