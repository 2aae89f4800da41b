import { connect } from "node:net";

/** True when a TCP connection to the URL's host and port opens within the timeout. */
export function reachable(url: string, defaultPort: number, timeoutMs = 1_500): Promise<boolean> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, "") || "localhost";
  const port = Number(u.port || defaultPort);
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}
