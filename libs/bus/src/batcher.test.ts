import type { MeasurementMessage } from "@sensorstream/contracts";
import { describe, expect, it } from "vitest";
import { Batcher, type BatchStore, type Pending } from "./batcher.js";

const msg = (id: string, metrics = 1): MeasurementMessage => ({
  msg_id: id,
  sensor_id: "s1",
  received_at: "2026-11-23T08:00:00.000000Z",
  readings: [
    {
      time: "2026-11-23T08:00:00.000000Z",
      values: Object.fromEntries(Array.from({ length: metrics }, (_, i) => [`m${i}`, i])),
    },
  ],
});

class PermanentError extends Error {}

/** A store that records batches, refuses any batch containing a "poison" message, and can be "down". */
class FakeStore implements BatchStore<MeasurementMessage, number> {
  batches: string[][] = [];
  down = 0;
  poison = new Set<string>();
  async write(messages: readonly MeasurementMessage[]): Promise<number> {
    if (this.down > 0) {
      this.down--;
      throw new Error("connection refused");
    }
    if (messages.some((m) => this.poison.has(m.msg_id))) throw new PermanentError("check constraint");
    this.batches.push(messages.map((m) => m.msg_id));
    return messages.length;
  }
  isPermanent(err: unknown): boolean {
    return err instanceof PermanentError;
  }
}

type Tracked = Pending<MeasurementMessage> & { acked: boolean; rejected: string | undefined };
const pending = (m: MeasurementMessage, live = () => true): Tracked => {
  const p: Tracked = {
    message: m,
    live,
    acked: false,
    rejected: undefined,
    ack() {
      p.acked = true;
    },
    async reject(error) {
      p.rejected = error;
      p.acked = true;
    },
  };
  return p;
};

const size = (m: MeasurementMessage) => m.readings.reduce((n, r) => n + Object.keys(r.values).length, 0);

const batcher = (store: FakeStore, o: { maxRows?: number } = {}) => {
  const retries: number[] = [];
  const b = new Batcher({
    store,
    size,
    maxRows: o.maxRows ?? 100,
    flushMs: 1_000_000,
    retryDelay: async (attempt) => {
      retries.push(attempt);
    },
  });
  return { b, retries };
};

describe("Batcher", () => {
  it("cuts a batch when the row limit is reached and acks only after the write", async () => {
    const store = new FakeStore();
    const { b } = batcher(store, { maxRows: 4 });
    const ps = ["a", "b", "c"].map((id) => pending(msg(id, 2)));
    for (const p of ps) b.add(p);
    await b.flush();
    expect(store.batches).toEqual([["a", "b"], ["c"]]);
    expect(ps.every((p) => p.acked)).toBe(true);
  });

  it("flushes on the timer when the batch stays small", async () => {
    const store = new FakeStore();
    const timers: Array<() => void> = [];
    const b = new Batcher({
      store,
      size,
      maxRows: 100,
      flushMs: 50,
      retryDelay: async () => {},
      setTimer: (fn) => timers.push(fn),
      clearTimer: () => {},
    });
    const p = pending(msg("a"));
    b.add(p);
    expect(store.batches).toEqual([]);
    expect(timers).toHaveLength(1);
    timers[0]?.();
    await b.flush();
    expect(store.batches).toEqual([["a"]]);
    expect(p.acked).toBe(true);
  });

  it("keeps filling the next batch while one is being written, and writes it as one when the write ends", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const store = new FakeStore();
    const slow: BatchStore<MeasurementMessage, number> = {
      write: async (messages) => {
        if (store.batches.length === 0) await gate;
        return store.write(messages);
      },
      isPermanent: (err) => store.isPermanent(err),
    };
    const timers: Array<() => void> = [];
    const b = new Batcher({
      store: slow,
      size,
      maxRows: 100,
      flushMs: 50,
      retryDelay: async () => {},
      setTimer: (fn) => timers.push(fn),
      clearTimer: () => {},
    });
    b.add(pending(msg("a")));
    timers.shift()?.(); // cuts [a]; its write waits on the gate
    for (const id of ["b", "c", "d"]) {
      b.add(pending(msg(id)));
      timers.shift()?.(); // the timer fires while [a] is being written: no cut
    }
    release();
    await b.flush();
    expect(store.batches).toEqual([["a"], ["b", "c", "d"]]);
  });

  it("bisects a permanent failure down to the bad message and lands the rest", async () => {
    const store = new FakeStore();
    store.poison.add("m5");
    const { b } = batcher(store);
    const ps = Array.from({ length: 8 }, (_, i) => pending(msg(`m${i}`)));
    for (const p of ps) b.add(p);
    await b.flush();
    expect(store.batches.flat().sort()).toEqual(["m0", "m1", "m2", "m3", "m4", "m6", "m7"]);
    expect(ps.filter((p) => p.rejected).map((p) => p.message.msg_id)).toEqual(["m5"]);
    expect(ps[5]?.rejected).toContain("check constraint");
    expect(ps.every((p) => p.acked)).toBe(true);
  });

  it("retries a transient failure without acking or dead-lettering anything until it succeeds", async () => {
    const store = new FakeStore();
    store.down = 3;
    const { b, retries } = batcher(store);
    const p = pending(msg("a"));
    b.add(p);
    await b.flush();
    expect(retries).toEqual([1, 2, 3]);
    expect(p.acked).toBe(true);
    expect(p.rejected).toBeUndefined();
    expect(store.batches).toEqual([["a"]]);
  });

  it("gives up on messages whose channel is gone: they will be redelivered", async () => {
    const store = new FakeStore();
    store.down = 1;
    let alive = true;
    const { b } = batcher(store);
    const p = pending(msg("a"), () => alive);
    b.add(p);
    const done = b.flush();
    alive = false;
    await done;
    expect(store.batches).toEqual([]);
    expect(p.acked).toBe(false);
  });

  it("stops retrying on stop(): unacked messages go back to the queue", async () => {
    const store = new FakeStore();
    store.down = 1_000;
    let b: Batcher<MeasurementMessage, number> | undefined;
    b = new Batcher({
      store,
      size,
      maxRows: 10,
      flushMs: 1_000_000,
      retryDelay: async () => {
        b?.stop();
      },
    });
    const p = pending(msg("a"));
    b.add(p);
    await b.flush();
    expect(p.acked).toBe(false);
  });
});
