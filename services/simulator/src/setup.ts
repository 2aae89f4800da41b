import { type Credentials, parseCredentials } from "./credentials.js";
import type { FleetOptions } from "./options.js";
import { provisionSensors } from "./provision.js";
import { sensorIds } from "./schedule.js";

/** What the command line asks for before the fleet starts: files to read, sensors to provision. */
export type FleetSetup = {
  /** A credentials file (CSV or JSON, see credentials.ts): the fleet runs those sensors with their tokens. */
  credentialsFile?: string;
  /** With a credentials file: --sensors was given, so run only the first that many. */
  sensorsGiven?: boolean;
  /** Register the fleet's sensors through the HTTP API and log in with the tokens it issues. */
  provision?: { apiUrl: string; apiToken: string };
  /** A PEM file of CA certificates for mqtts:// and wss://. */
  caFile?: string;
};

export type SetupDeps = {
  readFile: (path: string) => Promise<Buffer>;
  fetch?: typeof fetch;
  log?: (line: string) => void;
};

/** Resolves the setup into fleet options (ids, tokens, CA). Throws an Error whose message is for the user. */
export async function prepareFleet(fleet: FleetOptions, setup: FleetSetup, deps: SetupDeps): Promise<FleetOptions> {
  const out: FleetOptions = { ...fleet };
  if (setup.caFile !== undefined) out.ca = await read(deps, setup.caFile, "--ca");
  if (setup.credentialsFile !== undefined) {
    const credentials = await credentialsFrom(deps, setup.credentialsFile);
    const ids = [...credentials.keys()];
    if (setup.sensorsGiven && fleet.sensors > ids.length) {
      throw new Error(`--sensors ${fleet.sensors}: ${setup.credentialsFile} holds only ${ids.length} sensors`);
    }
    out.ids = setup.sensorsGiven ? ids.slice(0, fleet.sensors) : ids;
    out.sensors = out.ids.length;
    out.tokens = credentials;
  }
  if (setup.provision !== undefined) {
    const ids = sensorIds(fleet.idPrefix ?? "sim", fleet.sensors);
    const types = fleet.types ?? ["vibration"];
    deps.log?.(`provisioning ${ids.length} sensors through ${setup.provision.apiUrl}`);
    out.tokens = await provisionSensors({
      ...setup.provision,
      sensors: ids.map((id, i) => ({ id, type: types[i % types.length] ?? "vibration" })),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
  }
  return out;
}

async function credentialsFrom(deps: SetupDeps, path: string): Promise<Credentials> {
  const parsed = parseCredentials((await read(deps, path, "--credentials")).toString("utf8"));
  if ("problems" in parsed) throw new Error(`${path}: ${parsed.problems.join("; ")}`);
  return parsed.credentials;
}

async function read(deps: SetupDeps, path: string, flag: string): Promise<Buffer> {
  try {
    return await deps.readFile(path);
  } catch (err) {
    throw new Error(`${flag} ${path}: ${(err as Error).message}`);
  }
}
