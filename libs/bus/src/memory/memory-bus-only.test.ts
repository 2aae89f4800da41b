import { describe, expect, it } from "vitest";
import { PublishError } from "../publisher.js";
import { MemoryBus } from "./memory-bus.js";

const queue = { name: "q", bindings: ["*.data"], maxLength: 10, deliveryLimit: 5 };

/** What the conformance suite cannot check on a shared broker without breaking the rest of its run. */
describe("MemoryBus beyond the conformance suite", () => {
  it("refuses to re-declare a queue with other arguments, as RabbitMQ does (PRECONDITION_FAILED)", async () => {
    const bus = new MemoryBus();
    await bus.declare([queue]);
    await bus.declare([queue]);
    await expect(bus.declare([{ ...queue, maxLength: 11 }])).rejects.toThrow(/PRECONDITION_FAILED/);
    await bus.close();
  });

  it("fails a publish as unavailable when the connection stays down longer than the publisher waits", async () => {
    const bus = new MemoryBus({ waitForConnectionMs: 5 });
    await bus.declare([queue]);
    const down = bus.dropConnection(200);
    const err = await bus.publish("sensor_a.data", Buffer.from("x"), { messageId: "m" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).code).toBe("unavailable");
    await down;
    await bus.publish("sensor_a.data", Buffer.from("y"), { messageId: "n" });
    expect(bus.take("q").map((m) => m.content.toString())).toEqual(["y"]);
    await bus.close();
  });
});
