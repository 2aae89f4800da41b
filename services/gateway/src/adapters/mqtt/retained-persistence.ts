import { Readable } from "node:stream";
import aedesPersistence, { type AedesMemoryPersistence } from "aedes-persistence";
import { RetainedIndex } from "../../core/retained-index.js";

type Packet = { topic: string; payload: Buffer | string };

// A CommonJS module whose exports are the factory (as aedes itself imports it); its typings declare a default export.
const memory = aedesPersistence as unknown as () => AedesMemoryPersistence;

/**
 * aedes' in-memory persistence with retained messages kept in a RetainedIndex (see there why): storeRetained and the
 * retained streams a SUBSCRIBE reads go to the index; everything else (subscriptions, QoS 1 in flight, wills) is
 * aedes-persistence's own.
 */
export function indexedMemoryPersistence(): AedesMemoryPersistence {
  const persistence = memory();
  const index = new RetainedIndex<Packet>();
  const p = persistence as unknown as {
    storeRetained(packet: Packet, cb?: (err: Error | null) => void): Promise<void> | undefined;
    createRetainedStream(pattern: string): Readable;
    createRetainedStreamCombi(patterns: string[]): Readable;
  };
  p.storeRetained = (packet, cb) => {
    // A copy, as aedes-persistence keeps one: aedes goes on using the packet object it stored.
    index.store({ ...packet }, packet.payload.length === 0);
    if (cb) {
      process.nextTick(cb, null);
      return undefined;
    }
    return Promise.resolve();
  };
  p.createRetainedStream = (pattern) => Readable.from(index.matching([pattern]));
  p.createRetainedStreamCombi = (patterns) => Readable.from(index.matching(patterns));
  return persistence;
}
