/**
 * Reads MQTT fixed headers as bytes arrive and says when a packet announces more than the limit, before its body is
 * buffered anywhere: aedes (mqtt-packet) has no packet size limit and would buffer a 256 MB CONNECT whole.
 * The first packet of a connection must be a CONNECT and gets its own, smaller limit (it is read before
 * authentication, so it is what an anonymous client can make the gateway hold).
 */
export class FrameGuard {
  #phase: "type" | "length" | "body" = "type";
  #packets = 0;
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #remaining = 0;
  #isConnect = false;

  constructor(
    private readonly maxPacketBytes: number,
    private readonly maxConnectBytes: number,
  ) {}

  /** Feeds the next bytes; returns why the connection must be closed, or undefined while it is fine. */
  check(chunk: Uint8Array): string | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.#phase === "body") {
        const n = Math.min(this.#remaining, chunk.length - i);
        this.#remaining -= n;
        i += n;
        if (this.#remaining === 0) this.#phase = "type";
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.#phase === "type") {
        this.#isConnect = byte >> 4 === 1;
        if (this.#packets === 0 && !this.#isConnect) return "the first packet is not a CONNECT";
        this.#packets++;
        this.#phase = "length";
        this.#length = 0;
        this.#multiplier = 1;
        this.#lengthBytes = 0;
        continue;
      }
      this.#length += (byte & 0x7f) * this.#multiplier;
      this.#multiplier *= 128;
      this.#lengthBytes++;
      if (byte & 0x80) {
        if (this.#lengthBytes === 4) return "malformed remaining length";
        continue;
      }
      const limit = this.#packets === 1 ? this.maxConnectBytes : this.maxPacketBytes;
      if (this.#length > limit) {
        return `a ${this.#isConnect ? "CONNECT" : "packet"} of ${this.#length} bytes; the limit is ${limit}`;
      }
      this.#remaining = this.#length;
      this.#phase = this.#length === 0 ? "type" : "body";
    }
    return undefined;
  }
}
