import { type Bus, QUEUES, startConsumer } from "@sensorstream/bus";
import { isPermanentDataError } from "@sensorstream/db";
import type { Logger, Registry } from "@sensorstream/runtime";
import { type CommandInput, commandParser } from "./adapters/command-messages.js";
import { handleAck } from "./handlers/ack.js";
import { handleDelivered } from "./handlers/delivered.js";
import type { HandlerDeps } from "./handlers/deps.js";
import { handlePresence } from "./handlers/presence.js";

/**
 * command.acks on the bus pipeline. Each message is one small conditional UPDATE (or a resend), so a
 * single-message handler is enough; lanes by sensor keep one sensor's acks, reports and presence in order.
 */
export function startCommandConsumer(o: {
  bus: Bus;
  deps: HandlerDeps;
  logger: Logger;
  registry: Registry;
  onDatabase: (ok: boolean) => void;
}) {
  return startConsumer<CommandInput>({
    bus: o.bus,
    name: "command",
    queue: QUEUES.commandAcks,
    parse: commandParser(() => o.deps.metrics.badAcks.inc({ reason: "malformed" })),
    prefetch: 64,
    // Lanes by sensor; presence lookups of the lanes share queries (BatchLookup), so many lanes make few queries.
    concurrency: 64,
    logger: o.logger,
    registry: o.registry,
    isPermanent: isPermanentDataError,
    async handle(m) {
      const input = m.body;
      if (input.kind === "ack") await handleAck(input.message, o.deps);
      else if (input.kind === "delivered") await handleDelivered(input.message, o.deps);
      else await handlePresence(input.message, o.deps);
      return undefined;
    },
    observe: {
      onHandled: () => o.onDatabase(true),
      onTransient: (err, attempt) => {
        o.onDatabase(false);
        o.logger.warn({ err, attempt }, "command message failed; retrying");
      },
    },
  });
}
