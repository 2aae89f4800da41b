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

  it("writes up to `concurrency` batches at once, acks each batch when it commits, and fills the next meanwhile", async () => {
    const gates = new Map<string, () => void>();
    const store = new FakeStore();
    const started: string[][] = [];
    const gated: BatchStore<MeasurementMessage, number> = {
      write: async (messages) => {
        started.push(messages.map((m) => m.msg_id));
        await new Promise<void>((r) => gates.set(messages[0]?.msg_id ?? "", r));
        return store.write(messages);
      },
      isPermanent: (err) => store.isPermanent(err),
    };
    const timers: Array<() => void> = [];
    const b = new Batcher({
      store: gated,
      size,
      maxRows: 100,
      flushMs: 50,
      concurrency: 2,
      retryDelay: async () => {},
      setTimer: (fn) => timers.push(fn),
      clearTimer: () => {},
    });
    const ps = new Map(["a", "b", "c", "d"].map((id) => [id, pending(msg(id))]));
    const add = (id: string) => b.add(ps.get(id) as Tracked);
    add("a");
    timers.shift()?.(); // [a] is written
    add("b");
    timers.shift()?.(); // a slot is free: [b] is written beside [a]
    add("c");
    timers.shift()?.(); // both slots busy: [c] keeps filling
    add("d");
    await Promise.resolve();
    expect(started).toEqual([["a"], ["b"]]);
    // The second batch commits first: its messages are acked at once, the first batch's are not.
    gates.get("b")?.();
    await new Promise((r) => setImmediate(r));
    expect([...ps.values()].map((p) => p.acked)).toEqual([false, true, false, false]);
    expect(started).toEqual([["a"], ["b"], ["c", "d"]]);
    gates.get("a")?.();
    gates.get("c")?.();
    await b.flush();
    expect(store.batches).toEqual([["b"], ["a"], ["c", "d"]]);
    expect([...ps.values()].every((p) => p.acked)).toBe(true);
  });

  it("holds a full batch until a slot is free when every slot is busy", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const store = new FakeStore();
    let running = 0;
    let most = 0;
    const slow: BatchStore<MeasurementMessage, number> = {
      write: async (messages) => {
        most = Math.max(most, ++running);
        await gate;
        running--;
        return store.write(messages);
      },
      isPermanent: (err) => store.isPermanent(err),
    };
    const b = new Batcher({
      store: slow,
      size,
      maxRows: 2,
      flushMs: 1_000_000,
      concurrency: 2,
      retryDelay: async () => {},
    });
    for (const id of ["a", "b", "c", "d", "e", "f"]) b.add(pending(msg(id)));
    const flushed = b.flush();
    release();
    await flushed;
    expect(most).toBe(2);
    expect(store.batches.flat().sort()).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect(store.batches.every((batch) => batch.length <= 2)).toBe(true);
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
