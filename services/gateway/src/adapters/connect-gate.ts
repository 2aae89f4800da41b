import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Aedes, Client } from "aedes";
import { FrameGuard } from "../core/frame-guard.js";
import type { GatewayMetrics } from "./metrics.js";

/** The largest CONNECT read before authentication: credentials, client id and a status Last Will fit easily. */
const MAX_CONNECT_BYTES = 64 * 1024;

/**
 * Admits a new connection (TCP, TLS or WebSocket) into the broker, with the limits that hold before authentication:
 * at most `maxPending` connections that have not completed CONNECT (aedes' connectTimeout ends the slow ones), and
 * no packet announcing more than `maxPacketBytes` (a CONNECT more than MAX_CONNECT_BYTES), refused from its fixed
 * header before its body is buffered. Every accepted stream is remembered until it closes, so shutdown can end them.
 */
export class ConnectGate {
  /** Raw connections (TCP socket, or the WebSocket's stream) that have not completed CONNECT. */
  readonly #pending = new Set<Duplex>();
  readonly #rawOf = new WeakMap<Client, Duplex>();
  readonly #deadlines = new WeakMap<Duplex, NodeJS.Timeout>();
  readonly #open = new Set<Duplex>();

  constructor(
    private readonly broker: Aedes,
    private readonly o: {
      maxPending: number;
      maxPacketBytes: number;
      connectTimeoutMs: number;
      metrics: GatewayMetrics;
    },
  ) {
    broker.on("client", (client) => {
      const raw = this.#rawOf.get(client);
      if (!raw) return;
      this.#pending.delete(raw);
      clearTimeout(this.#deadlines.get(raw));
      this.o.metrics.pending.set(this.#pending.size);
    });
  }

  /** Connections that have not completed CONNECT yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Streams still open (pending or connected). */
  get open(): number {
    return this.#open.size;
  }

  /**
   * A new raw connection: counted as pending until its CONNECT completes (or it closes), and given
   * MQTT_CONNECT_TIMEOUT_MS for what comes before aedes (a PROXY header, a TLS handshake). False: refused.
   */
  accept(raw: Duplex): boolean {
    if (this.#pending.size >= this.o.maxPending) {
      this.o.metrics.dropped.inc({ reason: "too_many_pending" });
      raw.destroy();
      return false;
    }
    this.#pending.add(raw);
    this.#open.add(raw);
    this.o.metrics.pending.set(this.#pending.size);
    // An absolute deadline (not an idle timeout, which a byte now and then would keep resetting).
    const deadline = setTimeout(() => raw.destroy(), this.o.connectTimeoutMs);
    deadline.unref();
    this.#deadlines.set(raw, deadline);
    raw.once("close", () => {
      clearTimeout(deadline);
      this.#pending.delete(raw);
      this.#open.delete(raw);
      this.o.metrics.pending.set(this.#pending.size);
    });
    return true;
  }

  /**
   * Hands an accepted connection to aedes: `stream` is what MQTT is read from (the raw socket, its TLS socket, or
   * the WebSocket stream); `ip` the client address when a PROXY header gave it.
   */
  admit(stream: Duplex, raw: Duplex, o: { req?: IncomingMessage; ip?: string | undefined } = {}): void {
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
    if (stream !== raw) {
      this.#open.add(stream);
      stream.once("close", () => {
        this.#open.delete(stream);
        raw.destroy();
      });
    }
    // aedes reads the client address of a proxied connection from req.connDetails (as aedes-server-factory sets it).
    const req =
      o.ip === undefined ? o.req : Object.assign(o.req ?? {}, { connDetails: { ipAddress: o.ip, isProxy: 1 } });
    const client = this.broker.handle(stream as Parameters<Aedes["handle"]>[0], req as IncomingMessage);
    this.#rawOf.set(client, raw);
  }

  /** Ends every connection still open (those broker.close() does not know: not yet CONNECTed). */
  destroyAll(): void {
    for (const s of this.#open) s.destroy();
  }
}
