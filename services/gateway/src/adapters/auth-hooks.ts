import { isSensorId } from "@sensorstream/contracts";
import { SUBSCRIBER_PREFIX, tokenMatches } from "@sensorstream/registry";
import type { Logger } from "@sensorstream/runtime";
import type { Aedes, Client } from "aedes";
import { anonymous, type Identity, maySubscribe } from "../core/access.js";
import type { CredentialDirectory } from "./directory.js";
import type { GatewayMetrics } from "./metrics.js";

/** MQTT 3.1.1 CONNACK return codes. */
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;
const SERVER_UNAVAILABLE = 3;

const identities = new WeakMap<Client, Identity>();
export const identityOf = (client: Client | null): Identity | undefined =>
  client ? (identities.get(client) ?? anonymous(client.id)) : undefined;

const refusal = (message: string, returnCode: number) => Object.assign(new Error(message), { returnCode });

export type AuthOptions = {
  mode: "required" | "open";
  directory: CredentialDirectory | undefined;
  maxConnections: number;
  connectRatePerIp: number;
  logger: Logger;
  metrics: GatewayMetrics;
  clock?: () => number;
};

/**
 * Who may connect (credentials, connection limits) and subscribe (own commands only for sensors,
 * granted filters for read-only subscribers). Publishing is checked in the bridge.
 */
export function installAuth(broker: Aedes, o: AuthOptions): void {
  const clock = o.clock ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();

  broker.preConnect = (client, _packet, callback) => {
    if (broker.connectedClients >= o.maxConnections) {
      o.metrics.auth.inc({ outcome: "too_many_connections" });
      return callback(refusal("too many connections (MQTT_MAX_CONNECTIONS)", SERVER_UNAVAILABLE), false);
    }
    const ip = (client.conn as { remoteAddress?: string }).remoteAddress ?? "unknown";
    const now = clock();
    const b = buckets.get(ip) ?? { tokens: o.connectRatePerIp * 2, at: now };
    b.tokens = Math.min(o.connectRatePerIp * 2, b.tokens + ((now - b.at) / 1000) * o.connectRatePerIp);
    b.at = now;
    if (buckets.size > 50_000) buckets.clear();
    buckets.set(ip, b);
    if (b.tokens < 1) {
      o.metrics.auth.inc({ outcome: "rate_limited" });
      return callback(refusal(`too many connections from ${ip} (MQTT_CONNECT_RATE)`, SERVER_UNAVAILABLE), false);
    }
    b.tokens -= 1;
    callback(null, true);
  };

  broker.authenticate = (client, username, password, callback) => {
    if (o.mode === "open") {
      identities.set(client, anonymous(client.id));
      o.metrics.auth.inc({ outcome: "open" });
      return callback(null, true);
    }
    const refuse = (outcome: string, code: number, why: string) => {
      o.metrics.auth.inc({ outcome });
      o.logger.warn({ client_id: client.id, username, outcome }, why);
      callback(refusal(why, code) as Parameters<typeof callback>[0], false);
    };
    if (!username || !password || !o.directory) {
      return refuse("bad_credentials", BAD_USERNAME_OR_PASSWORD, "connect without username and password refused");
    }
    const token = password.toString("utf8");
    const directory = o.directory;
    (async () => {
      if (username.startsWith(SUBSCRIBER_PREFIX)) {
        const sub = await directory.subscriber(username.slice(SUBSCRIBER_PREFIX.length));
        if (!sub || !tokenMatches(token, sub.tokenHash)) {
          return refuse("bad_credentials", BAD_USERNAME_OR_PASSWORD, "wrong subscriber credentials");
        }
        identities.set(client, {
          kind: "subscriber",
          name: username.slice(SUBSCRIBER_PREFIX.length),
          topics: sub.topics,
        });
      } else {
        if (!isSensorId(username))
          return refuse("bad_credentials", BAD_USERNAME_OR_PASSWORD, "username is not a sensor id");
        const hash = await directory.sensorTokenHash(username);
        if (!hash) return refuse("not_authorized", NOT_AUTHORIZED, "unknown sensor or sensor without credentials");
        if (!tokenMatches(token, hash))
          return refuse("bad_credentials", BAD_USERNAME_OR_PASSWORD, "wrong sensor token");
        identities.set(client, { kind: "sensor", sensorId: username });
      }
      o.metrics.auth.inc({ outcome: "ok" });
      callback(null, true);
    })().catch((err: unknown) => {
      o.logger.error({ err }, "credential lookup failed");
      o.metrics.auth.inc({ outcome: "error" });
      callback(refusal("credential store unavailable", SERVER_UNAVAILABLE) as Parameters<typeof callback>[0], false);
    });
  };

  broker.authorizeSubscribe = (client, sub, callback) => {
    const id = identityOf(client) ?? anonymous(client.id);
    if (maySubscribe(id, sub.topic)) return callback(null, sub);
    o.metrics.refused.inc({ action: "subscribe" });
    o.logger.warn({ client_id: client.id, topic: sub.topic.slice(0, 200) }, "subscription refused");
    callback(null, null); // SUBACK 0x80 for this filter; the client stays connected
  };
}
