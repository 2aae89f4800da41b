import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { PortInUseError } from "@sensorstream/runtime";
import { createWebSocketStream, WebSocketServer } from "ws";
import type { ConnectGate } from "./connect-gate.js";

export type Listeners = {
  mqttPort: number;
  wsPort: number | undefined;
  /** Stops accepting; resolves once every listener has closed (after its connections are gone). */
  close(): Promise<void>;
};

export const listenOn = (server: Server, port: number, host: string, variable: string): Promise<number> =>
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

/** MQTT over TCP, and over WebSocket on its own port (0 = off); both go through the gate into the same broker. */
export async function openListeners(
  gate: ConnectGate,
  o: { host: string; mqttPort: number; wsPort: number; maxPacketBytes: number },
): Promise<Listeners> {
  const tcp = createServer((socket) => gate.admit(socket));
  const mqttPort = await listenOn(tcp, o.mqttPort, o.host, "MQTT_PORT");
  if (o.wsPort === 0) return { mqttPort, wsPort: undefined, close: () => closed(tcp) };
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { "content-type": "text/plain" }).end("MQTT over WebSocket: connect with ws://host:port/mqtt\n");
  });
  const wss = webSocketServer(http, gate, o.maxPacketBytes);
  let wsPort: number;
  try {
    wsPort = await listenOn(http, o.wsPort, o.host, "MQTT_WS_PORT");
  } catch (err) {
    tcp.close();
    throw err;
  }
  return {
    mqttPort,
    wsPort,
    async close() {
      const done = Promise.all([closed(tcp), closed(http), new Promise<void>((r) => wss.close(() => r()))]);
      for (const c of wss.clients) c.terminate();
      await done;
    },
  };
}

/** MQTT over WebSocket on an HTTP(S) server: each WebSocket becomes a stream for the gate. */
export function webSocketServer(server: Server, gate: ConnectGate, maxPacketBytes: number): WebSocketServer {
  // A frame never needs to be larger than the largest MQTT packet; the gate checks packets split over frames.
  const wss = new WebSocketServer({ server: server as never, maxPayload: maxPacketBytes + 16 });
  wss.on("connection", (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on("error", () => ws.terminate());
    gate.admit(stream, req);
  });
  return wss;
}
