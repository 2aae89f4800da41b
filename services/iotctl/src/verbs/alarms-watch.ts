import type { Command as Cli } from "commander";
import mqtt from "mqtt";
import { contextOf } from "../context.js";
import { CliError, EXIT } from "../errors.js";
import type { Io } from "../io.js";
import { positiveInt } from "./parse.js";
import { sensorId } from "./sensors.js";

const DEFAULT_MQTT = "mqtt://localhost:1883";

type WatchOptions = { mqtt?: string; username?: string; password?: string; sensor?: string; count?: number };

/**
 * Streams alerts as they happen: an MQTT subscription to alerts/# (or alerts/<id>) through any gateway replica,
 * with read-only subscriber credentials (iotctl needs no bus access, and every replica forwards every alert).
 * Prints one JSON object per line (-o json) or one line per alert.
 */
export function addAlarmWatchVerb(alarms: Cli, io: Io): void {
  alarms
    .command("watch")
    .description("stream alerts (raised, acknowledged, cleared) as they happen, over MQTT; Ctrl-C stops")
    .option("--mqtt <url>", `a gateway's MQTT URL (env IOTCTL_MQTT, default ${DEFAULT_MQTT})`)
    .option("--username <name>", "MQTT username, e.g. subscriber:<name> (env IOTCTL_MQTT_USERNAME)")
    .option("--password <token>", "its token (env IOTCTL_MQTT_PASSWORD)")
    .option("--sensor <id>", "only this sensor's alerts", sensorId)
    .option("--count <n>", "exit after this many alerts", positiveInt("--count"))
    .action(async (o: WatchOptions, cmd: Cli) => {
      const ctx = contextOf(cmd, io);
      const url = o.mqtt ?? (io.env.IOTCTL_MQTT || DEFAULT_MQTT);
      const username = o.username ?? (io.env.IOTCTL_MQTT_USERNAME || undefined);
      const password = o.password ?? (io.env.IOTCTL_MQTT_PASSWORD || undefined);
      const topic = o.sensor ? `alerts/${o.sensor}` : "alerts/#";
      let client: mqtt.MqttClient;
      try {
        client = await mqtt.connectAsync(url, {
          ...(username ? { username } : {}),
          ...(password ? { password } : {}),
          reconnectPeriod: 1_000,
          connectTimeout: 10_000,
        });
        const granted = await client.subscribeAsync(topic, { qos: 1 });
        if (granted.some((g) => g.qos === 128)) {
          await client.endAsync();
          throw new CliError(
            `the gateway refused a subscription to ${topic}: are these subscriber credentials for it?`,
            EXIT.api,
          );
        }
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(
          `cannot subscribe to ${topic} at ${url} (${(err as Error).message}): check --mqtt, --username, --password`,
          EXIT.api,
        );
      }
      ctx.say(`watching ${topic} at ${url}`);
      let seen = 0;
      await new Promise<void>((resolve) => {
        client.on("message", (_t, payload) => {
          let alert: Record<string, unknown>;
          try {
            alert = JSON.parse(payload.toString()) as Record<string, unknown>;
          } catch {
            return;
          }
          io.stdout(ctx.format === "json" ? `${JSON.stringify(alert)}\n` : `${line(alert)}\n`);
          seen++;
          if (o.count !== undefined && seen >= o.count) resolve();
        });
      });
      await client.endAsync();
    });
}

const line = (a: Record<string, unknown>): string =>
  [a.ts, a.state, a.severity, a.sensor_id, `${a.metric}=${a.value}`, `threshold=${a.threshold}`, a.alarm_id]
    .map(String)
    .join("  ");
