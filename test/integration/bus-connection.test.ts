/**
 * BusConnection shutdown: close() must return even when it catches the connection mid-setup and a
 * setup never settles (amqplib leaves some promises pending once the connection is gone), or a
 * service's SIGTERM drain would hang until its timeout and exit 1.
 */
import type { Socket } from "node:net";
import { BusConnection, coalesceFrameWrites } from "@sensorstream/bus";
import { createRegistry, silentLogger } from "@sensorstream/runtime";
import amqp from "amqplib";
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

  it("sends the frames of one turn in a few socket writes with this amqplib, and each arrives once, in order", async () => {
    const conn = await amqp.connect(vhost.url);
    try {
      // Fails when an amqplib upgrade moves the Mux: the frames would then go out one syscall each again.
      expect(coalesceFrameWrites(conn)).toBe(true);
      const socket = (conn as unknown as { connection: { stream: Socket } }).connection.stream;
      const counted = socket as unknown as Record<"_write" | "_writev", (...a: unknown[]) => void>;
      let writes = 0;
      for (const m of ["_write", "_writev"] as const) {
        const original = counted[m]?.bind(socket);
        if (original)
          counted[m] = (...a: unknown[]) => {
            writes++;
            original(...a);
          };
      }
      const ch = await conn.createConfirmChannel();
      const { queue } = await ch.assertQueue("", { exclusive: true });
      writes = 0;
      for (let i = 0; i < 500; i++) ch.sendToQueue(queue, Buffer.from(String(i)));
      await ch.waitForConfirms();
      expect(writes).toBeGreaterThan(0);
      expect(writes).toBeLessThan(25);
      const got: string[] = [];
      await ch.consume(queue, (m) => m && got.push(m.content.toString()), { noAck: true });
      await waitFor(() => got.length >= 500, { message: `only ${got.length} of 500 arrived` });
      expect(got).toStrictEqual(Array.from({ length: 500 }, (_, i) => String(i)));
    } finally {
      await conn.close();
    }
  });
});
