/**
 * BusConnection shutdown: close() must return even when it catches the connection mid-setup and a
 * setup never settles (amqplib leaves some promises pending once the connection is gone), or a
 * service's SIGTERM drain would hang until its timeout and exit 1.
 */
import { BusConnection } from "@sensorstream/bus";
import { createRegistry, silentLogger } from "@sensorstream/runtime";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { describeRabbitMq } from "../fixtures/rabbitmq-only.js";
import { waitFor } from "../fixtures/wait.js";

describeRabbitMq("BusConnection on a real RabbitMQ", () => {
  let vhost: TestVhost;
  beforeAll(async () => {
    vhost = await createTestVhost("bus_connection");
  });
  afterAll(async () => {
    await vhost?.drop();
  });

  it("close() returns when a setup caught by it never settles", async () => {
    const bus = new BusConnection({
      url: vhost.url,
      name: "close-mid-setup",
      logger: silentLogger(),
      registry: createRegistry({ defaultMetrics: false }),
    });
    let setupRunning = false;
    await bus.addSetup(async () => {
      setupRunning = true;
      await new Promise<never>(() => {});
    });
    bus.start();
    await waitFor(() => setupRunning, { message: "the setup never ran" });
    const closed = await Promise.race([
      bus.close().then(() => "closed" as const),
      new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 15_000)),
    ]);
    expect(closed).toBe("closed");
    expect(bus.connected).toBe(false);
  });
});
