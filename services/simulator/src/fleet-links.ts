import { type NotConnectedReason, notConnectedReason, reconnectDelayMs } from "./backoff.js";
import type { Counters } from "./counters.js";
import type { LinkSpec, OpenLink } from "./link.js";
import type { ResolvedFleetOptions } from "./options.js";
import { WILL_STATUS } from "./payload.js";
import type { VirtualSensor } from "./virtual-sensor.js";

/** What the connection lifecycle needs from the fleet. */
export type LinkContext = {
  o: ResolvedFleetOptions;
  c: Counters;
  sensors: readonly VirtualSensor[];
  openLink: OpenLink;
  stopping: () => boolean;
  onCommand: (s: VirtualSensor, topic: string, payload: Buffer) => void;
  /** Announces the sensor's status (on every connect: a dropped connection may have fired the will). */
  publishStatus: (s: VirtualSensor) => void;
};

/**
 * A sensor's credentials: one with a token of its own logs in as itself with it; otherwise, with a password, each
 * sensor logs in as itself unless one username is given for all.
 */
function linkSpecFor(o: ResolvedFleetOptions, s: VirtualSensor): LinkSpec {
  const token = o.tokens?.get(s.id);
  const password = token ?? o.password;
  const username = token !== undefined ? s.id : (o.username ?? (password === undefined ? undefined : s.id));
  return {
    url: o.mqttUrl,
    clientId: s.id,
    will: { topic: s.statusTopic, payload: WILL_STATUS },
    reconnectDelayMs: (failures) => reconnectDelayMs(failures, Math.random),
    connectTimeoutMs: 30_000,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(o.ca === undefined ? {} : { ca: o.ca }),
  };
}

/**
 * Opens the sensors' links, at most connectConcurrency handshakes at once, and keeps each sensor's `connected` flag
 * and the connected count in step with its link. Returns `openMore`, which starts as many handshakes as allowed.
 */
export function createLinkOpener(ctx: LinkContext): () => void {
  const { o, c, sensors } = ctx;
  let nextToOpen = 0;
  let opening = 0;

  const openMore = (): void => {
    while (!ctx.stopping() && opening < o.connectConcurrency && nextToOpen < sensors.length) {
      const s = sensors[nextToOpen++];
      if (s === undefined) return;
      opening++;
      openSensor(s);
    }
  };

  /** Keeps the count of sensors not connected, by reason, in step with each sensor's own reason. */
  const because = (s: VirtualSensor, reason: NotConnectedReason | undefined): void => {
    if (s.notConnected !== undefined) c.notConnected.set(s.notConnected, (c.notConnected.get(s.notConnected) ?? 1) - 1);
    if (reason !== undefined) c.notConnected.set(reason, (c.notConnected.get(reason) ?? 0) + 1);
    s.notConnected = reason;
  };

  const openSensor = (s: VirtualSensor): void => {
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      opening--;
      openMore();
    };
    s.link = ctx.openLink(linkSpecFor(o, s), {
      onConnect: () => {
        if (!s.connected) c.connected++;
        s.connected = true;
        because(s, undefined);
        settle();
        if (ctx.stopping()) return;
        // Commands first: the session is clean, so the subscription is made again on every connect.
        s.link?.subscribe(`${s.commandsPrefix}#`, (err) => {
          if (err) c.lastError = `${s.id}: subscribe: ${err.message}`;
        });
        // Re-announced on every connect: a dropped connection may have fired the will.
        ctx.publishStatus(s);
      },
      onMessage: (topic, payload) => ctx.onCommand(s, topic, payload),
      onClose: () => {
        if (s.connected) {
          c.connected--;
          if (!ctx.stopping()) because(s, "connection lost");
        }
        s.connected = false;
        settle();
      },
      onError: (err) => {
        c.connectErrors++;
        c.lastError = `${s.id}: ${err.message}`;
        if (!s.connected) because(s, notConnectedReason(err));
        settle();
      },
    });
  };

  return openMore;
}
