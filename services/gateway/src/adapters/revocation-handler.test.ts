import { EventEmitter } from "node:events";
import { createRegistry, silentLogger } from "@sensorstream/runtime";
import type { Client } from "aedes";
import { describe, expect, it } from "vitest";
import type { CredentialDirectory } from "./directory.js";
import { gatewayMetrics } from "./metrics.js";
import { RevocationHandler } from "./revocation-handler.js";
import { Sessions } from "./sessions.js";

/** A connected client as far as sessions and revocation look at it: an id, a socket that can close, close(). */
function fakeClient(id: string): Client & { closed: boolean } {
  const conn = new EventEmitter();
  const client = {
    id,
    conn,
    closed: false,
    close() {
      client.closed = true;
      conn.emit("close");
    },
  };
  return client as unknown as Client & { closed: boolean };
}

/** The directory as the database has it now. */
function fakeDirectory(sensors: Record<string, string>, subscribers: Record<string, string> = {}): CredentialDirectory {
  return {
    sensorTokenHash: async (id: string) => sensors[id] ?? null,
    subscriber: async (name: string) => {
      const h = subscribers[name];
      return h ? { tokenHash: h, topics: ["alerts/#"] } : null;
    },
  } as unknown as CredentialDirectory;
}

describe("RevocationHandler", () => {
  it("ends only the sessions whose token hash is no longer the stored one, and forgets them", async () => {
    const sessions = new Sessions();
    const old = fakeClient("rot");
    const renewed = fakeClient("rot");
    const other = fakeClient("keep");
    sessions.authenticated(old, { kind: "sensor", sensorId: "rot" }, "hash-1");
    sessions.authenticated(renewed, { kind: "sensor", sensorId: "rot" }, "hash-2");
    sessions.authenticated(other, { kind: "sensor", sensorId: "keep" }, "hash-k");
    const registry = createRegistry({ defaultMetrics: false });
    const handler = new RevocationHandler({
      sessions,
      directory: fakeDirectory({ rot: "hash-2", keep: "hash-k" }),
      metrics: gatewayMetrics(registry),
      logger: silentLogger(),
    });
    const event = {
      msg_id: "m",
      principal: "sensor",
      id: "rot",
      reason: "rotated",
      revoked_at: "2026-11-23T08:00:00Z",
    };
    await handler.onMessage(Buffer.from(JSON.stringify(event)));
    expect([old.closed, renewed.closed, other.closed]).toEqual([true, false, false]);
    expect(sessions.get(old)?.revoked).toBe(true);
    expect(sessions.of("sensor", "rot")).toEqual([renewed]);
  });

  it("ends every session of a deleted subscriber, ignores malformed events, re-checks everything on demand", async () => {
    const sessions = new Sessions();
    const dash = fakeClient("subscriber:dash");
    const gone = fakeClient("gone");
    sessions.authenticated(dash, { kind: "subscriber", name: "dash", topics: ["alerts/#"] }, "hash-d");
    sessions.authenticated(gone, { kind: "sensor", sensorId: "gone" }, "hash-g");
    const registry = createRegistry({ defaultMetrics: false });
    const handler = new RevocationHandler({
      sessions,
      directory: fakeDirectory({}, {}),
      metrics: gatewayMetrics(registry),
      logger: silentLogger(),
    });
    await handler.onMessage(Buffer.from("{not json"));
    expect(dash.closed || gone.closed).toBe(false);
    await handler.checkAll();
    expect([dash.closed, gone.closed]).toEqual([true, true]);
    expect(sessions.principals).toBe(0);
  });
});
