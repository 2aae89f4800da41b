import { createRegistry, silentLogger } from "@sensorstream/runtime";
import type { Aedes, PublishPacket } from "aedes";
import { describe, expect, it } from "vitest";
import { ActivityTracker } from "../../core/activity.js";
import { BridgedReadings } from "../bridged-readings.js";
import { gatewayMetrics } from "../metrics.js";
import { Sessions } from "../sessions.js";
import { PublishHandler } from "./publish-handler.js";

/** A hand-written publisher whose publishes settle when the test says, per routing key. */
function heldPublisher() {
  const held = new Map<string, (() => void)[]>();
  const mandatory = new Map<string, boolean | undefined>();
  return {
    keys: () => [...held.keys()],
    mandatory: (key: string) => mandatory.get(key),
    release: (key: string) => {
      for (const r of held.get(key) ?? []) r();
      held.delete(key);
    },
    publisher: {
      publish: (key: string, _content: Buffer, o: { mandatory?: boolean }) =>
        new Promise<void>((resolve) => {
          mandatory.set(key, o.mandatory);
          held.set(key, [...(held.get(key) ?? []), resolve]);
        }),
    },
  };
}

/** The handler installed on a stand-in broker: authorizePublish is what aedes calls before it sends the PUBACK. */
function handler(p: ReturnType<typeof heldPublisher>, perSensorData = true) {
  let turn: (() => void) | undefined;
  const broker = { publish: () => {} } as unknown as Aedes;
  new PublishHandler({
    sessions: new Sessions(),
    publisher: p.publisher,
    bridged: new BridgedReadings({ publisher: p.publisher, newId: () => "b-1", schedule: (f) => (turn = f) }),
    perSensorData,
    deadLetters: { publish: async () => {} },
    activity: new ActivityTracker(),
    metrics: gatewayMetrics(createRegistry({ defaultMetrics: false })),
    logger: silentLogger(),
    clock: () => Date.UTC(2026, 10, 30, 3),
    newId: () => "m-1",
    maxPayloadBytes: 1024,
  }).install(broker);
  const authorized = (topic: string, payload: string) =>
    new Promise<Error | null | undefined>((resolve) =>
      broker.authorizePublish?.(null, { topic, payload: Buffer.from(payload) } as PublishPacket, resolve),
    );
  return { authorized, endTurn: () => turn?.() };
}

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 5));
  return done;
};

describe("PublishHandler", () => {
  it("authorizes a data publish (so aedes PUBACKs it) only once both its .data publish and readings.bridged are confirmed", async () => {
    const p = heldPublisher();
    const h = handler(p);
    const data = h.authorized("sensors/pump-1/data", '{"value": 1}');
    h.endTurn();
    expect(p.keys().sort()).toStrictEqual(["readings.bridged", "sensor_pump-1.data"]);
    // The record is readings.bridged (mandatory); the message on its own is for queues of one's own.
    expect(p.mandatory("readings.bridged")).toBeUndefined();
    expect(p.mandatory("sensor_pump-1.data")).toBe(false);
    p.release("sensor_pump-1.data");
    expect(await settled(data)).toBe(false);
    p.release("readings.bridged");
    expect(await data).toBeNull();
  });

  it("with PER_SENSOR_DATA=false publishes data only in readings.bridged, and authorizes once that is confirmed", async () => {
    const p = heldPublisher();
    const h = handler(p, false);
    const data = h.authorized("sensors/pump-1/data", '{"value": 1}');
    h.endTurn();
    expect(p.keys()).toStrictEqual(["readings.bridged"]);
    expect(await settled(data)).toBe(false);
    p.release("readings.bridged");
    expect(await data).toBeNull();
  });

  it("sends only data to readings.bridged: a status waits for its own publish alone", async () => {
    const p = heldPublisher();
    const h = handler(p);
    const status = h.authorized("sensors/pump-1/status", '{"state":"online"}');
    h.endTurn();
    expect(p.keys()).toStrictEqual(["sensor_pump-1.status"]);
    p.release("sensor_pump-1.status");
    expect(await status).toBeNull();
  });
});
