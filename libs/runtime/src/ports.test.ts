import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { firstFreePort, isPortFree, PortInUseError } from "./index.js";

const HOST = "127.0.0.1";
const open: Server[] = [];

/** Occupies a port the OS picks; closed after each test. */
async function occupy(): Promise<number> {
  const srv = createServer();
  open.push(srv);
  await new Promise<void>((resolve) => srv.listen({ port: 0, host: HOST }, resolve));
  const addr = srv.address();
  if (addr === null || typeof addr === "string") throw new Error("no port");
  return addr.port;
}

const close = (srv: Server) => new Promise<void>((resolve) => srv.close(() => resolve()));

afterEach(async () => {
  await Promise.all(open.splice(0).map(close));
});

describe("isPortFree", () => {
  it("is false while something listens and true once it stops", async () => {
    const port = await occupy();
    expect(await isPortFree(port, HOST)).toBe(false);
    await Promise.all(open.splice(0).map(close));
    expect(await isPortFree(port, HOST)).toBe(true);
  });

  it("leaves the port free after checking", async () => {
    const port = await occupy();
    await Promise.all(open.splice(0).map(close));
    expect(await isPortFree(port, HOST)).toBe(true);
    expect(await isPortFree(port, HOST)).toBe(true);
  });
});

describe("firstFreePort", () => {
  it("skips a busy port", async () => {
    const busy = await occupy();
    const port = await firstFreePort(busy, HOST, 20);
    expect(port).toBeGreaterThan(busy);
    expect(port).toBeLessThan(busy + 20);
    expect(await isPortFree(port, HOST)).toBe(true);
  });

  it("returns the first port itself when free", async () => {
    const port = await occupy();
    await Promise.all(open.splice(0).map(close));
    expect(await firstFreePort(port, HOST, 1)).toBe(port);
  });

  it("fails with the range it tried", async () => {
    const busy = await occupy();
    await expect(firstFreePort(busy, HOST, 1)).rejects.toThrow(`no free port in ${busy}..${busy} on ${HOST}`);
  });
});

describe("PortInUseError", () => {
  it("names the variable and the port", () => {
    const err = new PortInUseError("HTTP_PORT", 8080);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("PortInUseError");
    expect(err.message).toBe("HTTP_PORT=8080 is already in use by another process; stop it or choose another port");
    expect([err.variable, err.port]).toStrictEqual(["HTTP_PORT", 8080]);
  });
});
