import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../../services/all-in-one/dist/main.js", import.meta.url));
/** The V8 flags `npm start` gives node (package.json): a larger young generation, fewer scavenges (see docs/performance.md). */
const NPM_START_FLAGS = ["--max-semi-space-size=32"];

export type PlatformProcess = { mqttUrl: string; metricsUrl: string; child: ChildProcess; stop(): Promise<void> };

/**
 * Runs `npm start`'s entry point as a child process (its own CPU), on random ports, without the demo fleet.
 * `main` runs another build's entry point instead (e.g. a checkout of main, for a before/after comparison).
 */
export async function spawnPlatform(
  env: Record<string, string>,
  main = MAIN,
  nodeArgs: readonly string[] = [],
): Promise<PlatformProcess> {
  const child = spawn(process.execPath, [...NPM_START_FLAGS, ...nodeArgs, main], {
    env: {
      ...process.env,
      MQTT_PORT: "0",
      MQTT_WS_PORT: "0",
      HTTP_PORT: "0",
      HTTP_HOST: "127.0.0.1",
      MQTT_HOST: "127.0.0.1",
      DEMO: "false",
      SUMMARY_INTERVAL_S: "0",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // A bench stopped half-way (Ctrl-C) leaves no platform behind.
  const orphan = () => child.kill("SIGKILL");
  process.once("exit", orphan);
  child.once("exit", () => process.off("exit", orphan));
  let out = "";
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
    if (err.length > 20_000) err = err.slice(-10_000);
  });
  const ports = await new Promise<{ mqtt: number; http: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`platform did not start in 60 s:\n${out}\n${err}`)), 60_000);
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const mqtt = /MQTT\s+mqtt:\/\/localhost:(\d+)/.exec(out)?.[1];
      const http = /HTTP API\s+http:\/\/localhost:(\d+)/.exec(out)?.[1];
      if (mqtt && http) {
        clearTimeout(timer);
        resolve({ mqtt: Number(mqtt), http: Number(http) });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`platform exited with ${code}:\n${out}\n${err}`));
    });
  });
  return {
    mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`,
    metricsUrl: `http://127.0.0.1:${ports.http}/metrics`,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 30_000).unref();
      }),
  };
}
