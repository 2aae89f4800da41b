/**
 * The PROXY protocol header (v1 text, v2 binary) a TCP load balancer puts before the client's bytes, so per-IP
 * limits see the real client. Pure; a few dozen lines rather than a dependency, because it must run on the raw
 * socket before anything else (TLS included) reads it.
 */
export type ProxyHeader =
  | { state: "incomplete" }
  | { state: "invalid"; error: string }
  /** `address` is undefined for a LOCAL (health check) or UNKNOWN header: the socket's own peer then counts. */
  | { state: "done"; address: string | undefined; length: number };

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_MAX = 107;

export function parseProxyHeader(buf: Buffer): ProxyHeader {
  if (buf.length === 0) return { state: "incomplete" };
  if (buf[0] === 0x0d) return parseV2(buf);
  if (buf[0] === 0x50) return parseV1(buf);
  return { state: "invalid", error: "no PROXY protocol header" };
}

function parseV1(buf: Buffer): ProxyHeader {
  const end = buf.indexOf("\r\n");
  if (end < 0) {
    return buf.length >= V1_MAX ? { state: "invalid", error: "PROXY v1 line too long" } : { state: "incomplete" };
  }
  const parts = buf.subarray(0, end).toString("latin1").split(" ");
  if (parts[0] !== "PROXY") return { state: "invalid", error: "no PROXY protocol header" };
  if (parts[1] === "UNKNOWN") return { state: "done", address: undefined, length: end + 2 };
  if ((parts[1] !== "TCP4" && parts[1] !== "TCP6") || parts.length !== 6) {
    return { state: "invalid", error: "malformed PROXY v1 header" };
  }
  return { state: "done", address: parts[2], length: end + 2 };
}

function parseV2(buf: Buffer): ProxyHeader {
  if (buf.length < 16) {
    return V2_SIGNATURE.subarray(0, buf.length).equals(buf.subarray(0, Math.min(buf.length, 12)))
      ? { state: "incomplete" }
      : { state: "invalid", error: "no PROXY protocol header" };
  }
  if (!buf.subarray(0, 12).equals(V2_SIGNATURE)) return { state: "invalid", error: "no PROXY protocol header" };
  const verCmd = buf[12] as number;
  const family = (buf[13] as number) >> 4;
  const length = 16 + buf.readUInt16BE(14);
  if (verCmd >> 4 !== 2) return { state: "invalid", error: "unsupported PROXY protocol version" };
  if (buf.length < length) return { state: "incomplete" };
  if ((verCmd & 0x0f) === 0) return { state: "done", address: undefined, length };
  if (family === 1 && length >= 16 + 12) return { state: "done", address: [...buf.subarray(16, 20)].join("."), length };
  if (family === 2 && length >= 16 + 36) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(16 + i * 2).toString(16));
    return { state: "done", address: groups.join(":"), length };
  }
  return { state: "done", address: undefined, length };
}
