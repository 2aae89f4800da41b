import type { ChannelModel } from "amqplib";

type MuxLike = { out?: { cork?: () => void; uncork?: () => void }; _readIncoming?: () => void };

/**
 * amqplib queues every frame (a publish, an ack) on its channel's buffer, and its Mux then writes them to the socket
 * one `write` at a time: one syscall each. Corking the socket for one pass of the Mux sends all the frames the pass
 * takes in one `writev`; back-pressure is unchanged (a corked write still reports a full buffer, the Mux stops, and
 * 'drain' resumes it). The same idea as toa-io/comq#285, placed in the Mux's loop. Returns false, changing nothing,
 * if this amqplib has no such Mux (its internals changed): frames then go out one by one, as before.
 */
export function coalesceFrameWrites(model: ChannelModel): boolean {
  const mux = (model as unknown as { connection?: { muxer?: MuxLike } }).connection?.muxer;
  const pass = mux?._readIncoming;
  const out = mux?.out;
  if (!mux || typeof pass !== "function" || typeof out?.cork !== "function" || typeof out.uncork !== "function") {
    return false;
  }
  mux._readIncoming = function corkedPass(this: MuxLike) {
    out.cork?.();
    try {
      pass.call(this);
    } finally {
      out.uncork?.();
    }
  };
  return true;
}
