import { type Bus, type DeadLetter, openBus, QUEUES } from "@sensorstream/bus";
import { CREDENTIALS_REVOKED_ROUTING_KEY } from "@sensorstream/contracts";
import type { Logger, Registry } from "@sensorstream/runtime";
import { OUTBOUND_BINDINGS } from "../core/outbound.js";
import { ReplicaQueue } from "./replica-queue.js";
import type { RevocationHandler } from "./revocation-handler.js";

/**
 * The queues the gateway publishes into: every device kind has a durable home before its consumer exists.
 * (command.acks is declared by the command service once it exists: a capped queue nobody reads would one day make
 * the gateway withhold PUBACKs for acks.)
 */
const GATEWAY_QUEUES = [QUEUES.measurements, QUEUES.logs, QUEUES.registry];

/** What the gateway's handlers publish through: confirmed publishes and dead letters (the Bus port's). */
export type Publisher = Pick<Bus, "publish">;
export type DeadLetters = { publish(d: DeadLetter): Promise<void> };

export type GatewayBus = {
  bus: Bus;
  publisher: Publisher;
  deadLetters: DeadLetters;
  replicaQueue: ReplicaQueue;
};

/**
 * The gateway's bus side, all on the Bus port: topology, confirmed publishes, and this replica's own transient queue
 * (revocations, and the outbound path: commands and alarms, handed to `onOutbound`).
 */
export async function openGatewayBus(o: {
  url: string;
  gatewayId: string;
  waitForConnectionMs: number;
  revocations: RevocationHandler;
  onOutbound: (routingKey: string, content: Buffer) => void;
  logger: Logger;
  registry: Registry;
}): Promise<GatewayBus> {
  const { logger, registry } = o;
  const bus = openBus({
    url: o.url,
    name: "gateway",
    logger,
    registry,
    waitForConnectionMs: o.waitForConnectionMs,
  });
  await bus.declare(GATEWAY_QUEUES);
  const replicaQueue = new ReplicaQueue(bus, {
    name: `gateway.${o.gatewayId}`,
    bindings: [CREDENTIALS_REVOKED_ROUTING_KEY, ...OUTBOUND_BINDINGS],
    logger,
    onMessage: (key, content) => {
      if (key === CREDENTIALS_REVOKED_ROUTING_KEY) void o.revocations.onMessage(content);
      else o.onOutbound(key, content);
    },
    onRebound: () => void o.revocations.checkAll(),
  });
  await replicaQueue.attach();
  bus.start();
  return { bus, publisher: bus, deadLetters: { publish: (d) => bus.deadLetter(d) }, replicaQueue };
}
