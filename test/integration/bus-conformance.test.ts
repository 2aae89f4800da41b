import { RabbitBus } from "@sensorstream/bus";
import { createRegistry, silentLogger } from "@sensorstream/runtime";
import { describe, it } from "vitest";
import { busConformance, type ConformanceHarness } from "../../libs/bus/src/conformance.suite.js";
import { createTestVhost } from "../fixtures/amqp.js";
import { NO_RABBITMQ } from "../fixtures/backends.js";
import { testEnv } from "../fixtures/env.js";

const run = testEnv().bus === "rabbitmq" ? busConformance : skippedConformance;

run("RabbitMQ", async (): Promise<ConformanceHarness> => {
  const vhost = await createTestVhost("bus_conformance");
  const buses: RabbitBus[] = [];
  return {
    async open() {
      const bus = new RabbitBus({
        url: vhost.url,
        name: `conformance-${buses.length}`,
        logger: silentLogger(),
        registry: createRegistry({ defaultMetrics: false }),
        waitForConnectionMs: 15_000,
      });
      bus.start();
      if (!(await bus.waitConnected(15_000))) throw new Error("RabbitBus did not connect");
      buses.push(bus);
      return bus;
    },
    dropConnections: () => vhost.closeAllConnections(),
    read: (queue, max) => vhost.readQueue(queue, max),
    async close() {
      for (const b of buses) await b.close();
      await vhost.drop();
    },
  };
});

/** No RabbitMQ found (global-setup.ts): the suite is reported as skipped, with what to install. */
function skippedConformance(name: string): void {
  describe.skip(`Bus conformance: ${name} — ${NO_RABBITMQ}`, () => {
    it("the Bus port's contract on RabbitMQ", () => {});
  });
}
