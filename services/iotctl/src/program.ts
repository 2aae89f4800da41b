import { Command, Option } from "commander";
import { DEFAULT_API } from "./context.js";
import type { ExitCode } from "./errors.js";
import type { Io } from "./io.js";
import { OUTPUT_FORMATS } from "./output.js";
import { addAlarmVerbs } from "./verbs/alarms.js";
import { addCommandVerbs } from "./verbs/commands.js";
import { addDataVerbs } from "./verbs/data.js";
import { addIssueVerbs } from "./verbs/issue.js";
import { addSensorVerbs } from "./verbs/sensors.js";

const FOOTER = `
Environment:
  IOTCTL_API    the API's base URL, as --api (default ${DEFAULT_API})
  IOTCTL_TOKEN  the API's bearer token (API_TOKEN), as --token
  IOTCTL_MQTT, IOTCTL_MQTT_USERNAME, IOTCTL_MQTT_PASSWORD
                alarms watch: a gateway's MQTT URL and subscriber credentials

Exit codes:
  0  done; with --wait: every command was acked
  1  with --wait: a command failed or expired; or the selection matched no sensor
  2  usage error: nothing was sent
  3  the API was unreachable or answered with an error
  4  --wait timed out with commands still queued or sent

Examples:
  iotctl sensors list --type vibration
  iotctl sleep crane-7 --wait
  iotctl set-frequency 5 --type vibration --ttl 300 --wait --timeout 120
  iotctl commands list crane-7 --state failed -o json
  iotctl readings crane-7 --from 2026-11-23T00:00:00Z --bucket 1m --agg avg,max --fill previous
  iotctl export crane-7 --from 2026-11-01T00:00:00Z --format csv > crane-7.csv
  iotctl alarms rules create --name hot --metric temp_c --op ">" --threshold 80 --clear 75 --for 10 --type pump
  iotctl alarms list --severity critical
  iotctl alarms watch --mqtt mqtt://localhost:1884 --username subscriber:ops --password <token>`;

/** The command tree. Settings given to the program before adding verbs are inherited by every verb. */
export function buildProgram(io: Io, exit: (code: ExitCode) => void): Command {
  const program = new Command("iotctl")
    .description("operate a sensorstream fleet through its HTTP API: sensors, commands to them, their readings, alarms")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError("(iotctl <verb> --help shows the options)")
    .option("--api <url>", `API base URL (env IOTCTL_API, default ${DEFAULT_API})`)
    .option("--token <token>", "bearer token (env IOTCTL_TOKEN); needed for commands, and for reads unless open")
    .addOption(
      new Option("-o, --output <format>", "table or json (default: table on a terminal, json otherwise)").choices(
        OUTPUT_FORMATS,
      ),
    )
    .addHelpText("after", FOOTER);
  addSensorVerbs(program, io);
  addIssueVerbs(program, io, exit);
  addCommandVerbs(program, io);
  addDataVerbs(program, io);
  addAlarmVerbs(program, io);
  return program;
}
