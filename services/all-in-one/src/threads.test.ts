import { Health, silentLogger } from "@sensorstream/runtime";
import { describe, expect, it } from "vitest";
import { startServiceThread } from "./threads.js";

// The worker runs dist/service-thread.js: `npm test` builds first.
describe("startServiceThread", () => {
  it("rejects, saying why, when the thread cannot start its service; readiness shows the thread down", async () => {
    const health = new Health();
    const failures: Error[] = [];
    await expect(
      startServiceThread("no-such-service", {}, { logger: silentLogger(), health, onFailure: (e) => failures.push(e) }),
    ).rejects.toThrow(/no platform service named no-such-service/);
    expect(health.report()).toEqual({ ready: false, checks: { no_such_service_thread: false } });
    expect(failures).toEqual([]);
  });
});
