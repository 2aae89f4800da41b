/**
 * Retained messages through the real gateway (its retained store is indexed by topic prefix): a new subscriber gets
 * the retained status of every sensor its filter covers — by a wildcard filter, by a literal one, and by `#` below a
 * sensor — each once; a newer retained status replaces the older.
 */
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Spine, startSpine } from "./harness.js";

describe("gateway retained messages", () => {
  let spine: Spine;
  const id = `rt${Math.random().toString(36).slice(2, 7)}`;

  beforeAll(async () => {
    spine = await startSpine("retained");
  }, 60_000);
  afterAll(async () => {
    await spine?.close();
  });

  const retainedFor = async (filter: string): Promise<string[]> => {
    const c: MqttClient = await spine.connect(`${id}-obs-${Math.random().toString(36).slice(2, 6)}`);
    const got: string[] = [];
    c.on("message", (topic, payload, packet) => {
      if (packet.retain && topic.includes(id)) got.push(`${topic}=${payload.toString()}`);
    });
    await c.subscribeAsync(filter, { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    await c.endAsync();
    return got.sort();
  };

  it("hands a new subscriber the retained statuses its filter covers, each once, the newest only", async () => {
    for (const n of [1, 2]) {
      const s = await spine.connect(`${id}-${n}`);
      await s.publishAsync(`sensors/${id}-${n}/status`, `{"state":"online","n":${n}}`, { qos: 1, retain: true });
    }
    const both = [`sensors/${id}-1/status={"state":"online","n":1}`, `sensors/${id}-2/status={"state":"online","n":2}`];
    expect(await retainedFor("sensors/+/status")).toEqual(both);
    expect(await retainedFor(`sensors/${id}-2/status`)).toEqual([both[1]]);
    expect(await retainedFor(`sensors/${id}-1/#`)).toEqual([both[0]]);
    // A newer retained status replaces the old one.
    const s1 = await spine.connect(`${id}-1`);
    await s1.publishAsync(`sensors/${id}-1/status`, '{"state":"online","n":3}', { qos: 1, retain: true });
    expect(await retainedFor("sensors/+/status")).toEqual([`sensors/${id}-1/status={"state":"online","n":3}`, both[1]]);
  }, 30_000);
});
