import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Aedes, Client } from "aedes";
import { FrameGuard } from "../core/frame-guard.js";
import type { GatewayMetrics } from "./metrics.js";

/** The largest CONNECT read before authentication: credentials, client id and a status Last Will fit easily. */
export const MAX_CONNECT_BYTES = 64 * 1024;

/**
 * Admits a new connection (TCP, TLS or WebSocket) into the broker, with the limits that hold before authentication:
 * at most `maxPending` connections that have not completed CONNECT (aedes' connectTimeout ends the slow ones), and
 * no packet announcing more than `maxPacketBytes` (a CONNECT more than MAX_CONNECT_BYTES), refused from its fixed
 * header before its body is buffered. Every accepted stream is remembered until it closes, so shutdown can end them.
 */
export class ConnectGate {
  readonly #pending = new Set<Client>();
  readonly #open = new Set<Duplex>();

  constructor(
    private readonly broker: Aedes,
    private readonly o: { maxPending: number; maxPacketBytes: number; metrics: GatewayMetrics },
  ) {
    broker.on("client", (client) => this.#pending.delete(client));
  }

  /** Connections that have not completed CONNECT yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Streams still open (pending or connected). */
  get open(): number {
    return this.#open.size;
  }

  admit(stream: Duplex, req?: IncomingMessage): void {
    if (this.#pending.size >= this.o.maxPending) {
      this.o.metrics.dropped.inc({ reason: "too_many_pending" });
      stream.destroy();
      return;
    }
    const guard = new FrameGuard(this.o.maxPacketBytes, Math.min(MAX_CONNECT_BYTES, this.o.maxPacketBytes));
    const push = stream.push.bind(stream);
    // Every byte a socket (or the WebSocket stream) reads enters through push(): checking it there refuses an
    // oversized packet before aedes' parser buffers a byte of its body.
    stream.push = (chunk: unknown, encoding?: BufferEncoding) => {
      if (chunk !== null && chunk !== undefined && !stream.destroyed) {
        const why = guard.check(typeof chunk === "string" ? Buffer.from(chunk, encoding) : (chunk as Uint8Array));
        if (why) {
          this.o.metrics.dropped.inc({ reason: why.startsWith("a ") ? "packet_too_large" : "malformed" });
          stream.destroy();
          return false;
        }
      }
      return push(chunk, encoding);
    };
    this.#open.add(stream);
    const client = this.broker.handle(stream as Parameters<Aedes["handle"]>[0], req);
    this.#pending.add(client);
    this.o.metrics.pending.set(this.#pending.size);
    stream.once("close", () => {
      this.#open.delete(stream);
      this.#pending.delete(client);
      this.o.metrics.pending.set(this.#pending.size);
    });
  }

  /** Ends every connection still open (those broker.close() does not know: not yet CONNECTed). */
  destroyAll(): void {
    for (const s of this.#open) s.destroy();
  }
}
