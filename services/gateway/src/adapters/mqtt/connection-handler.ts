import type { Logger } from "@sensorstream/runtime";
import type { Aedes, Client } from "aedes";
import { sensorOf } from "../../core/access.js";
import type { ActivityTracker } from "../../core/activity.js";
import type { GatewayEvents } from "../gateway-events.js";
import type { GatewayMetrics } from "../metrics.js";
import type { Sessions } from "../sessions.js";

/**
 * A connection opening, being taken over, and closing: stamps when it was accepted, marks a replaced session so its
 * Last Will is not published, and tells the registry (connection events carry connected_at, so presence is ordered
 * by connection across replicas).
 */
export function installConnectionHandlers(
  broker: Aedes,
  o: {
    sessions: Sessions;
    events: GatewayEvents;
    activity: ActivityTracker;
    metrics: GatewayMetrics;
    logger: Logger;
    clock: () => number;
  },
): void {
  const internals = broker as unknown as { clients: Record<string, Client>; registerClient(c: Client): void };
  const register = internals.registerClient.bind(broker);
  internals.registerClient = (client) => {
    // aedes closes the previous connection with this client id next; its Last Will belongs to a replaced session.
    const previous = internals.clients[client.id];
    const session = previous && previous !== client ? o.sessions.get(previous) : undefined;
    if (session) session.superseded = true;
    register(client);
  };
  broker.on("client", (client) => {
    o.metrics.clients.inc();
    const connectedAtUs = o.clock() * 1000;
    const session = o.sessions.get(client);
    if (session) session.connectedAtUs = connectedAtUs;
    const sensorId = sensorOf(o.sessions.identityOf(client));
    if (sensorId) {
      o.activity.touch(sensorId, connectedAtUs);
      o.events.connection({ sensorId, clientId: client.id, connected: true, clean: false, connectedAtUs });
    }
  });
  broker.on("clientDisconnect", (client) => {
    o.metrics.clients.dec();
    const sensorId = sensorOf(o.sessions.identityOf(client));
    // A clean DISCONNECT publishes no Last Will; the registry learns of it from this event.
    const clean = (client as unknown as { _disconnected?: boolean })._disconnected === true;
    const connectedAtUs = o.sessions.get(client)?.connectedAtUs;
    if (sensorId) o.events.connection({ sensorId, clientId: client.id, connected: false, clean, connectedAtUs });
  });
  broker.on("clientError", (client, err) => o.logger.debug({ client_id: client.id, err }, "MQTT client error"));
}
