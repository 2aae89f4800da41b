import { busConformance, type ConformanceHarness } from "../conformance.suite.js";
import { MemoryBus } from "./memory-bus.js";

busConformance("in-memory", async (): Promise<ConformanceHarness> => {
  // One bus stands for the broker: every "connection" opened here shares its queues.
  const bus = new MemoryBus({ waitForConnectionMs: 2_000 });
  return {
    open: async () => bus,
    dropConnections: () => bus.dropConnection(5),
    read: async (queue, max) =>
      bus.take(queue, max).map((m) => ({ content: m.content, routingKey: m.routingKey, headers: m.headers })),
    close: () => bus.close(),
  };
});
