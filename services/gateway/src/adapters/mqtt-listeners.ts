import { createServer, type Server } from "node:net";
import { PortInUseError } from "@sensorstream/runtime";
import type { Aedes } from "aedes";
import { createWebSocketStream, WebSocketServer } from "ws";

export type Listeners = { mqttPort: number; wsPort: number | undefined; close(): Promise<void> };

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

/** MQTT over TCP, and over WebSocket on its own port (0 = off); both feed the same broker. */
export async function openListeners(
  broker: Aedes,
  o: { host: string; mqttPort: number; wsPort: number; maxPayloadBytes: number },
): Promise<Listeners> {
  const tcp = createServer((socket) => broker.handle(socket));
  const mqttPort = await listenOn(tcp, o.mqttPort, o.host, "MQTT_PORT");
  let wsHttp: Server | undefined;
  let wss: WebSocketServer | undefined;
  let wsPort: number | undefined;
  if (o.wsPort !== 0) {
    const { createServer: createHttpServer } = await import("node:http");
    const http = createHttpServer((_req, res) => {
      res
        .writeHead(426, { "content-type": "text/plain" })
        .end("MQTT over WebSocket: connect with ws://host:port/mqtt\n");
    });
    // A frame a little larger than the payload limit still reaches the bridge, which refuses it with a reason.
    wss = new WebSocketServer({ server: http, maxPayload: o.maxPayloadBytes * 2 + 64 * 1024 });
    wss.on("connection", (ws, req) => {
      const stream = createWebSocketStream(ws);
      stream.on("error", () => ws.terminate());
      broker.handle(stream, req);
    });
    try {
      wsPort = await listenOn(http, o.wsPort, o.host, "MQTT_WS_PORT");
    } catch (err) {
      tcp.close();
      throw err;
    }
    wsHttp = http;
  }
  return {
    mqttPort,
    wsPort,
    async close() {
      await new Promise<void>((r) => tcp.close(() => r()));
      if (wss) for (const c of wss.clients) c.terminate();
      if (wss) await new Promise<void>((r) => wss.close(() => r()));
      if (wsHttp) await new Promise<void>((r) => wsHttp.close(() => r()));
    },
  };
}
