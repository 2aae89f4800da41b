import { describe, expect, it } from "vitest";
import { ConnectedWaiters } from "./connected-waiters.js";

describe("ConnectedWaiters", () => {
  it("answers at once when connected, at wake() with the state then, or false after the timeout", async () => {
    let connected = true;
    const w = new ConnectedWaiters(() => connected);
    expect(await w.wait(10_000)).toBe(true);

    connected = false;
    const woken = w.wait(10_000);
    connected = true;
    w.wake();
    expect(await woken).toBe(true);

    connected = false;
    const closed = w.wait(10_000);
    w.wake();
    expect(await closed).toBe(false);

    expect(await w.wait(5)).toBe(false);
  });
});
