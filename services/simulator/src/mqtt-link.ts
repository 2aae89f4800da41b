import { connect, type IClientOptions } from "mqtt";
import type { LinkEvents, LinkSpec, SensorLink } from "./link.js";

/** One mqtt.js client per virtual sensor: clean session, automatic reconnect, retained Last Will. */
export function openMqttLink(spec: LinkSpec, events: LinkEvents): SensorLink {
  const options: IClientOptions = {
    clientId: spec.clientId,
    clean: true,
    protocolVersion: 4,
    keepalive: 30,
    reconnectPeriod: spec.reconnectDelayMs(1),
    // A refused CONNECT (CONNACK 3 for a per-IP rate limit, 4 for bad credentials) is retried too, after the backoff.
    reconnectOnConnackError: true,
    connectTimeout: spec.connectTimeoutMs,
    // The fleet subscribes on every connect itself (it knows when the subscription is in place).
    resubscribe: false,
    will: { topic: spec.will.topic, payload: Buffer.from(spec.will.payload), qos: 1, retain: true },
  };
  if (spec.username !== undefined) options.username = spec.username;
  if (spec.password !== undefined) options.password = spec.password;
  if (spec.ca !== undefined) options.ca = spec.ca;
  const client = connect(spec.url, options);
  // mqtt.js retries every options.reconnectPeriod and reads it when it schedules the next attempt: set it before that
  // happens — on the error (a refusal schedules its retry right after emitting it) or else first thing on close —
  // once per failed or lost connection.
  let failures = 0;
  let counted = false;
  const failed = (): void => {
    if (counted) return;
    counted = true;
    failures++;
    client.options.reconnectPeriod = spec.reconnectDelayMs(failures);
  };
  client.prependListener("close", () => {
    failed();
    counted = false;
  });
  client.on("connect", () => {
    failures = 0;
    counted = false;
    events.onConnect();
  });
  client.on("message", (topic, payload) => events.onMessage(topic, payload));
  client.on("close", () => events.onClose());
  // Without a listener an 'error' event would throw; connection errors are retried by mqtt.js.
  client.on("error", (err) => {
    if (!client.connected) failed();
    events.onError(err);
  });
  return {
    publish: (topic, payload, retain, done) => {
      client.publish(topic, payload, { qos: 1, retain }, (err) => done(err ?? undefined));
    },
    subscribe: (topic, done) => {
      client.subscribe(topic, { qos: 1 }, (err, granted) => {
        const refused = granted?.find((g) => g.qos === 128);
        done(err ?? (refused ? new Error(`subscription to ${topic} refused`) : undefined));
      });
    },
    close: (force) => new Promise<void>((resolve) => client.end(force, () => resolve())),
  };
}
