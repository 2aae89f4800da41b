import { describe, expect, it } from "vitest";
import { parseSimulatorArgs, type SimulatorCommand } from "./cli.js";

const run = (cmd: SimulatorCommand) => {
  if (cmd.kind !== "run") throw new Error(`expected run, got ${JSON.stringify(cmd)}`);
  return cmd;
};
const error = (cmd: SimulatorCommand): string => {
  if (cmd.kind !== "usage_error") throw new Error(`expected a usage error, got ${JSON.stringify(cmd)}`);
  return cmd.message;
};

describe("parseSimulatorArgs", () => {
  it("has defaults", () => {
    const cmd = run(parseSimulatorArgs([], {}));
    expect(cmd).toEqual({
      kind: "run",
      json: false,
      quiet: false,
      fleet: {
        mqttUrl: "mqtt://localhost:1883",
        sensors: 10,
        rateHz: 1,
        batch: 1,
        durationS: 0,
        idPrefix: "sim",
        types: ["vibration"],
      },
    });
  });

  it("reads every flag", () => {
    const cmd = run(
      parseSimulatorArgs(
        [
          "--sensors=500",
          "--rate",
          "12.5",
          "-b",
          "10",
          "--duration",
          "30",
          "--url",
          "ws://broker:8080/mqtt",
          "--prefix",
          "load_a",
          "--types",
          "gps, temperature,vibration",
          "--username",
          "u",
          "--password",
          "p",
          "--concurrency",
          "20",
          "--json",
          "-q",
        ],
        { MQTT_URL: "mqtt://ignored:1883" },
      ),
    );
    expect(cmd.json).toBe(true);
    expect(cmd.quiet).toBe(true);
    expect(cmd.fleet).toEqual({
      mqttUrl: "ws://broker:8080/mqtt",
      sensors: 500,
      rateHz: 12.5,
      batch: 10,
      durationS: 30,
      idPrefix: "load_a",
      types: ["gps", "temperature", "vibration"],
      username: "u",
      password: "p",
      connectConcurrency: 20,
    });
  });

  it("falls back to the environment for url and credentials", () => {
    const cmd = run(parseSimulatorArgs([], { MQTT_URL: "mqtts://b:8883", MQTT_USERNAME: "x", MQTT_PASSWORD: "y" }));
    expect(cmd.fleet).toMatchObject({ mqttUrl: "mqtts://b:8883", username: "x", password: "y" });
  });

  it.each([
    [["--rate", "x"], "--rate must be a positive number, got 'x'"],
    [["--rate", "0"], "--rate must be a positive number, got '0'"],
    [["--rate", "2000000"], "--rate must be at most 1000000, got '2000000'"],
    [["--sensors", "2.5"], "--sensors must be a positive integer, got '2.5'"],
    [["--sensors", ""], "--sensors must be a positive integer, got ''"],
    [["--batch", "0"], "--batch must be a positive integer, got '0'"],
    [["--batch", "10001"], "--batch must be at most 10000, got '10001'"],
    [["--duration=-1"], "--duration must be 0 or a positive number of seconds, got '-1'"],
    [
      ["--types", "vibration,sonar"],
      "--types must be a comma list of vibration, gps, temperature, accelerometer, got 'vibration,sonar'",
    ],
    [
      ["--url", "http://x:1883"],
      "--url must be a mqtt://, mqtts://, tcp://, tls://, ws://, wss:// URL, got 'http://x:1883'",
    ],
    [["--concurrency", "0"], "--concurrency must be a positive integer, got '0'"],
    [["--fail-commands", "1.5"], "--fail-commands must be a share from 0 to 1, got '1.5'"],
    [["--ignore-commands", "x"], "--ignore-commands must be a share from 0 to 1, got 'x'"],
    [
      ["--fail-commands", "0.6", "--ignore-commands", "0.5"],
      "failCommands + ignoreCommands must be at most 1, got 1.1",
    ],
  ])("rejects %j", (argv, message) => {
    expect(error(parseSimulatorArgs(argv, {}))).toBe(message);
  });

  it("lists every problem at once", () => {
    const message = error(parseSimulatorArgs(["--rate", "x", "--batch", "y"], {}));
    expect(message.split("\n")).toEqual([
      "--rate must be a positive number, got 'x'",
      "--batch must be a positive integer, got 'y'",
    ]);
  });

  it("rejects prefixes that make invalid sensor ids", () => {
    expect(error(parseSimulatorArgs(["--prefix", "a.b"], {}))).toMatch(/idPrefix 'a.b' makes ids like 'a.b-10'/);
    expect(error(parseSimulatorArgs(["--prefix", "p".repeat(62), "--sensors", "10"], {}))).toMatch(/sensor id is 1-64/);
    run(parseSimulatorArgs(["--prefix", "p".repeat(61), "--sensors", "10"], {}));
  });

  it("rejects unknown options and positionals", () => {
    expect(error(parseSimulatorArgs(["--sensor", "3"], {}))).toMatch(/Unknown option '--sensor'/);
    expect(error(parseSimulatorArgs(["extra"], {}))).toMatch(/extra/);
    expect(error(parseSimulatorArgs(["--rate"], {}))).toMatch(/--rate/);
  });

  it("reads the shares of sensors that fail or ignore commands", () => {
    const cmd = run(parseSimulatorArgs(["--fail-commands", "0.25", "--ignore-commands", "0.5"], {}));
    expect(cmd.fleet.failCommands).toBe(0.25);
    expect(cmd.fleet.ignoreCommands).toBe(0.5);
    const none = run(parseSimulatorArgs([], {}));
    expect(none.fleet.failCommands).toBeUndefined();
  });

  it("shows help", () => {
    const cmd = parseSimulatorArgs(["--rate", "bad", "-h"], {});
    expect(cmd.kind).toBe("help");
    if (cmd.kind === "help") {
      expect(cmd.text).toContain("--sensors <n>");
      expect(cmd.text).toContain("--fail-commands <share>");
      expect(cmd.text).toContain("--ignore-commands <share>");
    }
  });
});

describe("parseSimulatorArgs: per-sensor credentials and TLS", () => {
  it("reads --credentials, --provision with the token from the environment, and --ca", () => {
    const a = run(parseSimulatorArgs(["--credentials", "c.csv", "--url", "mqtts://gw:8883", "--ca", "ca.pem"], {}));
    expect(a.setup).toStrictEqual({ credentialsFile: "c.csv", sensorsGiven: false, caFile: "ca.pem" });
    const b = run(parseSimulatorArgs(["--provision", "http://api:8080", "-n", "5"], { API_TOKEN: "from-env" }));
    expect(b.setup).toStrictEqual({ provision: { apiUrl: "http://api:8080", apiToken: "from-env" } });
    expect(b.fleet.sensors).toBe(5);
    const c = run(parseSimulatorArgs(["--provision=https://api", "--api-token=flag"], { API_TOKEN: "env" }));
    expect(c.setup?.provision?.apiToken).toBe("flag");
    expect(run(parseSimulatorArgs(["--credentials", "c.csv", "-n", "2"], {})).setup?.sensorsGiven).toBe(true);
    expect(run(parseSimulatorArgs([], {})).setup).toBeUndefined();
  });

  it("refuses combinations that cannot work, all at once", () => {
    expect(error(parseSimulatorArgs(["--credentials", "c", "--provision", "http://api", "--username", "u"], {}))).toBe(
      [
        "--credentials and --provision are alternatives: give one",
        "--username does not go with per-sensor credentials: each sensor logs in as its id",
        "--provision needs the API token: --api-token or $API_TOKEN",
      ].join("\n"),
    );
    expect(error(parseSimulatorArgs(["--provision", "api:8080", "--api-token", "t"], {}))).toMatch(
      /http:\/\/ or https:\/\//,
    );
    expect(error(parseSimulatorArgs(["--ca", "ca.pem"], {}))).toMatch(/--ca needs an mqtts:\/\/ or wss:\/\/ --url/);
  });
});
