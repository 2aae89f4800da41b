import { createServer } from "node:net";

/** True when nothing listens on host:port (checked by binding it for a moment). */
export function isPortFree(port: number, host = "0.0.0.0"): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** The first free port at or after `from`, trying `tries` ports. */
export async function firstFreePort(from: number, host = "0.0.0.0", tries = 50): Promise<number> {
  for (let p = from; p < from + tries && p <= 65535; p++) {
    if (await isPortFree(p, host)) return p;
  }
  throw new Error(`no free port in ${from}..${from + tries - 1} on ${host}`);
}

export class PortInUseError extends Error {
  constructor(
    readonly variable: string,
    readonly port: number,
  ) {
    super(`${variable}=${port} is already in use by another process; stop it or choose another port`);
    this.name = "PortInUseError";
  }
}
