import { afterEach, describe, expect, it, vi } from "vitest";
import { BridgedReadings } from "./bridged-readings.js";

/** A hand-written publisher: records each publish and settles it when told. */
function fakePublisher() {
  const sent: { key: string; body: unknown; mandatory: boolean | undefined; settle: (err?: Error) => void }[] = [];
  return {
    sent,
    publisher: {
      publish: (key: string, content: Buffer, o: { mandatory?: boolean }) =>
        new Promise<void>((resolve, reject) => {
          sent.push({
            key,
            body: JSON.parse(content.toString()),
            mandatory: o.mandatory,
            settle: (err) => (err ? reject(err) : resolve()),
          });
        }),
    },
  };
}

const data = (n: number) => Buffer.from(JSON.stringify({ n }));

describe("BridgedReadings", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("publishes a turn's data messages as one array, in order, and resolves each once it is confirmed", async () => {
    const p = fakePublisher();
    let turn: (() => void) | undefined;
    const b = new BridgedReadings({ publisher: p.publisher, newId: () => "id", schedule: (f) => (turn = f) });
    let confirmed = 0;
    const adds = [1, 2, 3].map((n) => b.add(data(n)).then(() => confirmed++));
    expect(p.sent).toHaveLength(0);
    turn?.();
    expect(p.sent.map((s) => [s.key, s.body, s.mandatory])).toStrictEqual([
      // Mandatory (the default): the platform's queues must take it, or the devices get no PUBACK.
      ["readings.bridged", [{ n: 1 }, { n: 2 }, { n: 3 }], undefined],
    ]);
    await Promise.resolve();
    expect(confirmed).toBe(0);
    p.sent[0]?.settle();
    await Promise.all(adds);
    expect(confirmed).toBe(3);
  });

  it("rejects every message of a publish that failed, and the next turn starts afresh", async () => {
    const p = fakePublisher();
    const turns: (() => void)[] = [];
    const b = new BridgedReadings({ publisher: p.publisher, newId: () => "id", schedule: (f) => turns.push(f) });
    const first = [b.add(data(1)), b.add(data(2))];
    turns.shift()?.();
    p.sent[0]?.settle(new Error("nacked"));
    for (const f of first) await expect(f).rejects.toThrow("nacked");
    const next = b.add(data(3));
    turns.shift()?.();
    expect(p.sent[1]?.body).toStrictEqual([{ n: 3 }]);
    p.sent[1]?.settle();
    await expect(next).resolves.toBeUndefined();
  });

  it("with a linger, a turn that brought few waits lingerMs for the next turns' to join it", async () => {
    vi.useFakeTimers();
    const p = fakePublisher();
    const b = new BridgedReadings({ publisher: p.publisher, newId: () => "id", lingerMs: 5 });
    void b.add(data(1));
    await vi.advanceTimersByTimeAsync(3); // turns go by (setImmediate is faked too): nothing yet
    void b.add(data(2));
    expect(p.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2);
    expect(p.sent.map((s) => s.body)).toStrictEqual([[{ n: 1 }, { n: 2 }]]);
    void b.add(data(3)); // the next message waits its own linger
    await vi.advanceTimersByTimeAsync(4);
    expect(p.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.sent.map((s) => s.body)).toStrictEqual([[{ n: 1 }, { n: 2 }], [{ n: 3 }]]);
  });

  it("with a linger, a turn that brought 16 or more goes at once", async () => {
    vi.useFakeTimers();
    const p = fakePublisher();
    const b = new BridgedReadings({ publisher: p.publisher, newId: () => "id", lingerMs: 5 });
    for (let n = 0; n < 16; n++) void b.add(data(n));
    expect(p.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(0); // the turn's I/O is done (setImmediate)
    expect(p.sent.map((s) => (s.body as unknown[]).length)).toStrictEqual([16]);
  });

  it("without a linger, publishes the turn's messages once its I/O is done", async () => {
    const p = fakePublisher();
    const b = new BridgedReadings({ publisher: p.publisher, newId: () => "id", lingerMs: 0 });
    void b.add(data(1));
    void b.add(data(2));
    expect(p.sent).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(p.sent.map((s) => s.body)).toStrictEqual([[{ n: 1 }, { n: 2 }]]);
  });

  it("a flush meant for messages already cut (they filled a message) leaves the next ones their own wait", () => {
    const p = fakePublisher();
    const flushes: (() => void)[] = [];
    const b = new BridgedReadings({ publisher: p.publisher, newId: () => "id", schedule: (f) => flushes.push(f) });
    for (let n = 0; n < 512; n++) void b.add(data(n));
    expect(p.sent).toHaveLength(1);
    void b.add(data(512));
    flushes[0]?.(); // late: its messages went when full
    expect(p.sent).toHaveLength(1);
    flushes[1]?.();
    expect(p.sent.map((s) => (s.body as unknown[]).length)).toStrictEqual([512, 1]);
  });

  it("cuts a turn that holds more than 512 messages", () => {
    const p = fakePublisher();
    const b = new BridgedReadings({ publisher: p.publisher, newId: () => "id", schedule: () => {} });
    for (let n = 0; n < 513; n++) void b.add(data(n));
    expect(p.sent.map((s) => (s.body as unknown[]).length)).toStrictEqual([512]);
  });
});
