import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from "node:tls";
import { PortInUseError } from "@sensorstream/runtime";
import { createWebSocketStream, WebSocketServer } from "ws";
import { parseProxyHeader } from "../core/proxy-protocol.js";
import type { ConnectGate } from "./connect-gate.js";
import type { GatewayMetrics } from "./metrics.js";

export type TlsFiles = { cert: Buffer; key: Buffer; ca: Buffer | undefined };

export type ListenerOptions = {
  host: string;
  mqttPort: number;
  wsPort: number;
  maxPacketBytes: number;
  /** Read a PROXY protocol header first on the MQTT TCP and TLS listeners. */
  proxyProtocol: boolean;
  tls: (TlsFiles & { port: number; wssPort: number }) | undefined;
  connectTimeoutMs: number;
  metrics: GatewayMetrics;
};

export type Listeners = {
  mqttPort: number;
  wsPort: number | undefined;
  tlsPort: number | undefined;
  wssPort: number | undefined;
  /** Stops accepting; resolves once every listener has closed (after its connections are gone). */
  close(): Promise<void>;
};

const listenOn = (server: Server, port: number, host: string, variable: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new PortInUseError(variable, port) : err);
    server.once("error", onError);
    server.listen({ port, host }, () => {
      server.off("error", onError);
      const addr = server.address();
      resolve(typeof addr === "object" && addr ? addr.port : port);
    });
  });

const closed = (server: Server): Promise<void> => new Promise((r) => server.close(() => r()));

/**
 * MQTT over TCP and WebSocket, and with TLS files over TLS and secure WebSocket; every connection goes through the
 * gate into the same broker. A listener that fails to open closes the ones already open.
 */
export async function openListeners(gate: ConnectGate, o: ListenerOptions): Promise<Listeners> {
  const servers: Server[] = [];
  const wsServers: WebSocketServer[] = [];
  const ports: Partial<Record<"mqtt" | "ws" | "tls" | "wss", number>> = {};
  const close = async () => {
    const done = Promise.all([
      ...servers.map(closed),
      ...wsServers.map((w) => new Promise<void>((r) => w.close(() => r()))),
    ]);
    for (const w of wsServers) for (const c of w.clients) c.terminate();
    await done;
  };
  const open = async (server: Server, port: number, variable: string) => {
    servers.push(server);
    return listenOn(server, port, o.host, variable);
  };
  try {
    ports.mqtt = await open(
      createServer((s) => accept(gate, s, o, undefined)),
      o.mqttPort,
      "MQTT_PORT",
    );
    if (o.wsPort !== 0) {
      const http = createHttpServer(upgradeRequired);
      wsServers.push(webSocketServer(http, gate, o.maxPacketBytes));
      ports.ws = await open(http, o.wsPort, "MQTT_WS_PORT");
    }
    if (o.tls) {
      const tls = tlsHandshaker(gate, o, o.tls);
      ports.tls = await open(
        createServer((s) => accept(gate, s, o, tls)),
        o.tls.port,
        "MQTT_TLS_PORT",
      );
      if (o.tls.wssPort !== 0) {
        const https = createHttpsServer(
          { cert: o.tls.cert, key: o.tls.key, ...(o.tls.ca ? { ca: o.tls.ca, requestCert: true } : {}) },
          upgradeRequired,
        );
        wsServers.push(webSocketServer(https, gate, o.maxPacketBytes));
        ports.wss = await open(https, o.tls.wssPort, "MQTT_WSS_PORT");
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { mqttPort: ports.mqtt, wsPort: ports.ws, tlsPort: ports.tls, wssPort: ports.wss, close };
}

const upgradeRequired = (_req: unknown, res: import("node:http").ServerResponse) => {
  res.writeHead(426, { "content-type": "text/plain" }).end("MQTT over WebSocket: connect to the path /mqtt\n");
};

type Handshaker = (raw: Socket, ip: string | undefined) => void;

/**
 * TLS on connections accepted by a plain TCP server (so a PROXY header can be read first): a tls.Server that never
 * listens does the handshake (timeout, client certificate verification) on each socket handed to it.
 */
function tlsHandshaker(gate: ConnectGate, o: ListenerOptions, files: TlsFiles): Handshaker {
  const requireCert = files.ca !== undefined;
  const server: TlsServer = createTlsServer({
    cert: files.cert,
    key: files.key,
    ...(files.ca ? { ca: files.ca } : {}),
    requestCert: requireCert,
    rejectUnauthorized: requireCert,
    handshakeTimeout: o.connectTimeoutMs,
  });
  const waiting = new Map<string, { raw: Socket; ip: string | undefined }>();
  const key = (s: Socket) => `${s.remoteAddress}|${s.remotePort}`;
  server.on("secureConnection", (secure: TLSSocket) => {
    const handed = waiting.get(key(secure));
    waiting.delete(key(secure));
    if (!handed) return secure.destroy();
    gate.admit(secure, handed.raw, { ip: handed.ip });
  });
  server.on("tlsClientError", (_err, socket) => {
    o.metrics.dropped.inc({ reason: "tls_handshake" });
    socket.destroy();
  });
  return (raw, ip) => {
    waiting.set(key(raw), { raw, ip });
    raw.once("close", () => waiting.delete(key(raw)));
    server.emit("connection", raw);
  };
}

/** A new TCP connection: PROXY header (optional), TLS handshake (on the TLS port), then the gate. */
function accept(gate: ConnectGate, raw: Socket, o: ListenerOptions, tls: Handshaker | undefined): void {
  raw.on("error", () => raw.destroy());
  if (!gate.accept(raw)) return;
  const next = (ip: string | undefined) => (tls ? tls(raw, ip) : gate.admit(raw, raw, { ip }));
  if (o.proxyProtocol) readProxyHeader(raw, o.metrics, next);
  else next(undefined);
}

/** Reads the PROXY header off the socket, puts back what follows it, and goes on with the client address. */
function readProxyHeader(raw: Socket, metrics: GatewayMetrics, next: (ip: string | undefined) => void): void {
  let buf = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    const h = parseProxyHeader(buf);
    if (h.state === "incomplete") return;
    raw.off("data", onData);
    raw.pause();
    if (h.state === "invalid") {
      metrics.dropped.inc({ reason: "proxy_protocol" });
      raw.destroy();
      return;
    }
    if (buf.length > h.length) raw.unshift(buf.subarray(h.length));
    next(h.address);
  };
  raw.on("data", onData);
}

/** MQTT over WebSocket on an HTTP(S) server: each WebSocket becomes a stream for the gate. */
function webSocketServer(server: HttpServer, gate: ConnectGate, maxPacketBytes: number): WebSocketServer {
  // A frame never needs to be larger than the largest MQTT packet; the gate checks packets split over frames.
  const wss = new WebSocketServer({ server, maxPayload: maxPacketBytes + 16 });
  wss.on("connection", (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on("error", () => ws.terminate());
    if (gate.accept(stream)) gate.admit(stream, stream, { req });
  });
  return wss;
}
