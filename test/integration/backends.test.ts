import { describe, expect, it } from "vitest";
import { type BackendFacts, chooseTestBackend } from "../fixtures/backends.js";
import { testEnv } from "../fixtures/env.js";

const facts = (urlSet: boolean, localAnswers: boolean, dockerReachable: boolean): BackendFacts => ({
  urlSet,
  localAnswers,
  dockerReachable,
});

describe("where the tests find PostgreSQL and RabbitMQ", () => {
  it.each([
    // urlSet, local, docker -> postgres, rabbitmq
    [true, true, true, "env", "env"],
    [true, false, false, "env", "env"],
    [false, true, true, "local", "local"],
    [false, true, false, "local", "local"],
    [false, false, true, "container", "container"],
    [false, false, false, "embedded", "none"],
  ] as const)("url %s, local %s, docker %s: PostgreSQL %s, RabbitMQ %s", (url, local, docker, pg, rabbit) => {
    expect(chooseTestBackend("postgres", facts(url, local, docker))).toBe(pg);
    expect(chooseTestBackend("rabbitmq", facts(url, local, docker))).toBe(rabbit);
  });

  it("this run found a RabbitMQ wherever one answers on localhost:5672 (this machine and CI)", async () => {
    const net = await import("node:net");
    const local = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port: 5672 });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (local) expect(testEnv().bus).toBe("rabbitmq");
    else expect(testEnv().bus).toBe(process.env.AMQP_URL ? "rabbitmq" : "embedded");
  });
});
