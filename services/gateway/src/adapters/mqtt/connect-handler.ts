import { TLSSocket } from "node:tls";
import { isSensorId } from "@sensorstream/contracts";
import type { Logger } from "@sensorstream/runtime";
import { SUBSCRIBER_PREFIX, tokenMatches } from "@sensorstream/sensors";
import type { Aedes, Client } from "aedes";
import { LRUCache } from "lru-cache";
import { anonymous, type Identity, mayUseClientId } from "../../core/access.js";
import { type Bucket, takeToken } from "../../core/token-bucket.js";
import type { CredentialDirectory } from "../directory.js";
import type { GatewayMetrics } from "../metrics.js";
import type { Sessions } from "../sessions.js";

/** MQTT 3.1.1 CONNACK return codes. */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;

/** Client IPs remembered for the connect rate; the least recently seen are forgotten first, never all at once. */
const MAX_TRACKED_IPS = 100_000;

export type ConnectOptions = {
  broker: Aedes;
  mode: "required" | "open";
  directory: CredentialDirectory | undefined;
  sessions: Sessions;
  /** MQTT_TLS_CA_FILE is set: a client certificate is a second factor, and its CN must be the username. */
  requireClientCertificate: boolean;
  maxConnections: number;
  connectRatePerIp: number;
  logger: Logger;
  metrics: GatewayMetrics;
  clock: () => number;
};

type Verdict = { ok: true; identity: Identity; tokenHash?: string } | { ok: false; outcome: string; why: string };

/** The address per-IP limits count: the PROXY protocol's client address when decoded, else the socket's peer. */
function clientIp(client: Client): string {
  const c = client as unknown as {
    connDetails?: { ipAddress?: string } | null;
    conn: { remoteAddress?: string };
    req?: { socket?: { remoteAddress?: string } } | null;
  };
  return c.connDetails?.ipAddress ?? c.conn.remoteAddress ?? c.req?.socket?.remoteAddress ?? "unknown";
}

/** The CN of the verified client certificate on a TLS (or secure WebSocket) connection, if any. */
function peerCommonName(client: Client): string | undefined {
  const c = client as unknown as { conn: unknown; req?: { socket?: unknown } | null };
  for (const s of [c.conn, c.req?.socket]) {
    if (s instanceof TLSSocket && s.authorized) {
      const cn = s.getPeerCertificate().subject?.CN;
      return typeof cn === "string" ? cn : undefined;
    }
  }
  return undefined;
}

/**
 * CONNECT: limits first (connection cap, per-IP rate: CONNACK 3), then credentials (CONNACK 4 for anything wrong,
 * unknown sensors included, so ids cannot be enumerated), then the client id the login may use (CONNACK 2).
 */
export function connectHandler(o: ConnectOptions): Aedes["authenticate"] {
  const buckets = new LRUCache<string, Bucket>({ max: MAX_TRACKED_IPS });
  return (client, username, password, callback) => {
    const refuse = (outcome: string, code: number, why: string) => {
      o.metrics.auth.inc({ outcome });
      o.logger.warn({ client_id: client.id?.slice(0, 256), username: username?.slice(0, 256), outcome }, why);
      callback(Object.assign(new Error(why), { returnCode: code }) as Parameters<typeof callback>[0], false);
    };
    if (o.broker.connectedClients >= o.maxConnections) {
      return refuse("too_many_connections", SERVER_UNAVAILABLE, "too many connections (MQTT_MAX_CONNECTIONS)");
    }
    const ip = clientIp(client);
    const taken = takeToken(buckets.get(ip), o.clock(), o.connectRatePerIp);
    buckets.set(ip, taken.bucket);
    if (!taken.ok)
      return refuse("rate_limited", SERVER_UNAVAILABLE, "too many connects from one IP (MQTT_CONNECT_RATE)");
    verify(o, client, username, password).then(
      (v) => {
        if (!v.ok) return refuse(v.outcome, BAD_USERNAME_OR_PASSWORD, v.why);
        if (o.requireClientCertificate && o.mode === "required" && peerCommonName(client) !== username) {
          return refuse("certificate_mismatch", BAD_USERNAME_OR_PASSWORD, "no client certificate for this username");
        }
        if (!mayUseClientId(v.identity, client.id, username)) {
          return refuse("client_id_mismatch", IDENTIFIER_REJECTED, "client id does not belong to this login");
        }
        o.sessions.authenticated(client, v.identity, v.tokenHash);
        o.metrics.auth.inc({ outcome: o.mode === "open" ? "open" : "ok" });
        callback(null, true);
      },
      (err: unknown) => {
        o.logger.error({ err }, "credential lookup failed");
        refuse("error", SERVER_UNAVAILABLE, "credential store unavailable");
      },
    );
  };
}

async function verify(o: ConnectOptions, client: Client, username?: string, password?: Buffer): Promise<Verdict> {
  if (o.mode === "open") return { ok: true, identity: anonymous(client.id) };
  if (!username || !password || !o.directory) {
    return { ok: false, outcome: "bad_credentials", why: "connect without username and password refused" };
  }
  const token = password.toString("utf8");
  const directory = o.directory;
  if (username.startsWith(SUBSCRIBER_PREFIX)) {
    const name = username.slice(SUBSCRIBER_PREFIX.length);
    let sub = await directory.subscriber(name);
    // A cached credential may be older than a new token: look again before refusing.
    if (sub && !tokenMatches(token, sub.tokenHash)) sub = await directory.subscriber(name, { fresh: true });
    if (!sub || !tokenMatches(token, sub.tokenHash)) {
      return { ok: false, outcome: "bad_credentials", why: "wrong subscriber credentials" };
    }
    return { ok: true, identity: { kind: "subscriber", name, topics: sub.topics }, tokenHash: sub.tokenHash };
  }
  if (!isSensorId(username)) return { ok: false, outcome: "bad_credentials", why: "username is not a sensor id" };
  let hash = await directory.sensorTokenHash(username);
  if (hash && !tokenMatches(token, hash)) hash = await directory.sensorTokenHash(username, { fresh: true });
  if (!hash) return { ok: false, outcome: "unknown_sensor", why: "unknown sensor or sensor without credentials" };
  if (!tokenMatches(token, hash)) return { ok: false, outcome: "bad_credentials", why: "wrong sensor token" };
  return { ok: true, identity: { kind: "sensor", sensorId: username }, tokenHash: hash };
}
