import { BusConnection, ConfirmPublisher, DeadLetterPublisher, declareTopology, QUEUES } from "@sensorstream/bus";
import { CREDENTIALS_REVOKED_ROUTING_KEY, EXCHANGE } from "@sensorstream/contracts";
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

export type GatewayBus = {
  bus: BusConnection;
  publisher: ConfirmPublisher;
  deadLetters: DeadLetterPublisher;
  replicaQueue: ReplicaQueue;
};

/**
 * The gateway's RabbitMQ side: topology, the confirmed publisher, and this replica's own queue (revocations, and the
 * outbound path: commands and alarms, handed to `onOutbound`).
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
  const bus = new BusConnection({ url: o.url, name: "gateway", logger, registry });
  await bus.addSetup(async (conn) => {
    const ch = await conn.createChannel();
    await declareTopology(ch, GATEWAY_QUEUES);
    await ch.close();
  });
  const publisher = new ConfirmPublisher(bus, {
    exchange: EXCHANGE,
    logger,
    registry,
    waitForConnectionMs: o.waitForConnectionMs,
  });
  await publisher.attach();
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
  const deadLetters = new DeadLetterPublisher(publisher, registry);
  bus.start();
  return { bus, publisher, deadLetters, replicaQueue };
}
