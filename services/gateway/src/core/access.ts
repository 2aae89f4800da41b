import { isSensorId } from "@sensorstream/contracts";

/** Who is on the other end of an MQTT connection. */
export type Identity =
  | { kind: "sensor"; sensorId: string }
  | { kind: "subscriber"; name: string; topics: readonly string[] }
  /** MQTT_AUTH=open: anyone, trusted to be who the client id says. */
  | { kind: "anonymous"; sensorId: string | undefined };

/** The sensor a connection speaks for, if any: its username when authenticated, its client id in open mode. */
export const sensorOf = (id: Identity): string | undefined =>
  id.kind === "sensor" ? id.sensorId : id.kind === "anonymous" ? id.sensorId : undefined;

export const anonymous = (clientId: string): Identity => ({
  kind: "anonymous",
  sensorId: isSensorId(clientId) ? clientId : undefined,
});

/**
 * Topics only the platform publishes on: commands to a sensor and alerts. No MQTT client may, whoever it is and in
 * every auth mode (MQTT_AUTH=open too): a forged command or alert is worse than a refused one.
 */
export function isPlatformTopic(topic: string): boolean {
  if (topic === "alerts" || topic.startsWith("alerts/")) return true;
  const levels = topic.split("/");
  return levels[0] === "sensors" && levels[2] === "commands";
}

/**
 * A sensor publishes only under sensors/<its id>/ (never on its commands); a read-only subscriber publishes nothing;
 * in open mode anyone publishes anything but the platform's topics.
 */
export function mayPublish(id: Identity, topic: string): boolean {
  if (isPlatformTopic(topic)) return false;
  switch (id.kind) {
    case "anonymous":
      return true;
    case "sensor":
      return topic.startsWith(`sensors/${id.sensorId}/`);
    case "subscriber":
      return false;
    default:
      return exhaustive(id);
  }
}

/** A sensor subscribes only to its own commands; a subscriber only within its granted filters; nobody to $SYS. */
export function maySubscribe(id: Identity, filter: string): boolean {
  if (filter.startsWith("$")) return false;
  switch (id.kind) {
    case "anonymous":
      return true;
    case "sensor":
      return filterCovers(`sensors/${id.sensorId}/commands/#`, filter);
    case "subscriber":
      return id.topics.some((granted) => filterCovers(granted, filter));
    default:
      return exhaustive(id);
  }
}

/**
 * The client id a login may use, so that a client can only ever take over its own session: a sensor's is its id;
 * a subscriber's is its login `subscriber:<name>`, or `subscriber:<name>:<anything>` for several connections at once
 * (a name never contains ':', so no subscriber's id can be another's). Open mode trusts the client id (it is the identity there).
 */
export function mayUseClientId(id: Identity, clientId: string, username: string | undefined): boolean {
  switch (id.kind) {
    case "anonymous":
      return true;
    case "sensor":
      return clientId === id.sensorId;
    case "subscriber": {
      if (username === undefined) return false;
      return clientId === username || (clientId.startsWith(`${username}:`) && clientId.length <= 256);
    }
    default:
      return exhaustive(id);
  }
}

/** True when every topic `filter` can match is also matched by `granted` (MQTT wildcard semantics). */
export function filterCovers(granted: string, filter: string): boolean {
  const g = granted.split("/");
  const f = filter.split("/");
  for (let i = 0; i < g.length; i++) {
    const gl = g[i];
    if (gl === "#") return true;
    const fl = f[i];
    if (fl === undefined) return false;
    if (fl === "#") return false;
    if (gl === "+") continue;
    if (fl === "+" || fl !== gl) return false;
  }
  return f.length === g.length;
}

/** A topic filter a subscriber may be granted: well-formed MQTT, no $SYS. */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.length > 256 || filter.startsWith("$")) return false;
  const levels = filter.split("/");
  return levels.every((l, i) =>
    l === "#" ? i === levels.length - 1 : l === "+" || (!l.includes("+") && !l.includes("#")),
  );
}

function exhaustive(x: never): never {
  throw new Error(`unexpected identity ${JSON.stringify(x)}`);
}
