import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "@sensorstream/db";
import { type Gateway, type GatewaySettings, startGateway } from "@sensorstream/gateway";
import { createRegistry, firstFreePort, Health, silentLogger } from "@sensorstream/runtime";
import { SensorAdmin } from "@sensorstream/sensors";
import mqtt, { type MqttClient } from "mqtt";
import mqttPacket from "mqtt-packet";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { createTestDatabase, type TestDatabase, testPool } from "../fixtures/pg.js";
import { metricValue } from "../fixtures/prometheus.js";
import { waitFor } from "../fixtures/wait.js";

/** A CA, a server certificate for 127.0.0.1 and client certificates (CN = sensor id), made with openssl. */
function makeCertificates(dir: string, clients: string[]): void {
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=test-ca",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  );
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  const sign = (name: string, cn: string, ext?: string) => {
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`, "-keyout", `${name}.key`, "-out", `${name}.csr`);
    ssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      `${name}.pem`,
      ...(ext ? ["-extfile", ext] : []),
    );
  };
  sign("server", "localhost", "server.ext");
  for (const c of clients) sign(c, c);
}

describe("gateway TLS, client certificates and the PROXY protocol", () => {
  let dir: string;
  let db: TestDatabase;
  let vhost: TestVhost;
  let pool: pg.Pool;
  const tokens = new Map<string, string>();
  const gateways: Gateway[] = [];
  const clients: MqttClient[] = [];
  const file = (name: string) => readFileSync(join(dir, name));

  const start = async (over: Partial<GatewaySettings>, clock?: () => number) => {
    const registry = createRegistry({ defaultMetrics: false });
    const health = new Health();
    const gateway = await startGateway(
      {
        AMQP_URL: vhost.url,
        DATABASE_URL: db.url,
        MQTT_AUTH: "required",
        MQTT_HOST: "127.0.0.1",
        MQTT_PORT: 0,
        MQTT_WS_PORT: 0,
        MQTT_TLS_PORT: 0,
        // 0 would turn secure WebSocket off: a free port instead
        MQTT_WSS_PORT: await firstFreePort(20_000 + Math.floor(Math.random() * 20_000), "127.0.0.1"),
        MAX_PAYLOAD_BYTES: 65536,
        MQTT_MAX_CONNECTIONS: 100,
        MQTT_CONNECT_RATE: 1000,
        BUS_WAIT_MS: 2000,
        ACTIVITY_INTERVAL_MS: 200,
        CREDENTIAL_CACHE_MS: 0,
        ...over,
      },
      { logger: silentLogger(), registry, health, ...(clock ? { clock } : {}) },
    );
    gateways.push(gateway);
    await waitFor(() => health.report().ready, { message: "the gateway never became ready" });
    return { gateway, registry };
  };
  const connect = (url: string, opts: mqtt.IClientOptions) =>
    mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...opts }).then((c) => {
      clients.push(c);
      return c;
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gwtls-"));
    makeCertificates(dir, ["tls-1", "evil"]);
    db = await createTestDatabase("gwtls");
    vhost = await createTestVhost("gwtls");
    pool = testPool(db.url, 2);
    await migrate(pool, { logger: silentLogger(), timescale: "auto" });
    const admin = new SensorAdmin(pool);
    for (const id of ["tls-1", "evil"]) {
      const r = await admin.create({ id });
      if ("token" in r) tokens.set(id, r.token);
    }
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    for (const g of gateways) await g.stop().catch(() => {});
    await pool?.end();
    await vhost?.drop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("serves MQTT over TLS and secure WebSocket with the certificate from files", async () => {
    const { gateway, registry } = await start({
      MQTT_TLS_CERT_FILE: join(dir, "server.pem"),
      MQTT_TLS_KEY_FILE: join(dir, "server.key"),
    });
    const creds = { clientId: "tls-1", username: "tls-1", password: tokens.get("tls-1") ?? "", ca: file("ca.pem") };
    const overTls = await connect(`mqtts://127.0.0.1:${gateway.tlsPort}`, creds);
    await overTls.publishAsync("sensors/tls-1/data", JSON.stringify({ value: 1 }), { qos: 1 });
    await overTls.endAsync();
    const overWss = await connect(`wss://127.0.0.1:${gateway.wssPort}/mqtt`, creds);
    await overWss.publishAsync("sensors/tls-1/data", JSON.stringify({ value: 2 }), { qos: 1 });
    await overWss.endAsync();
    // In the ingesters' queue as the gateway publishes data: readings.bridged, arrays of data messages.
    const stored = (await vhost.readQueue("measurements")).flatMap((m) => JSON.parse(String(m.content)));
    expect(stored.map((m: { readings: { values: { value: number } }[] }) => m.readings[0]?.values.value)).toEqual([
      1, 2,
    ]);
    // An untrusted server certificate is refused by the client: the gateway really speaks TLS with this one.
    const { ca: _trusted, ...withoutCa } = creds;
    await expect(connect(`mqtts://127.0.0.1:${gateway.tlsPort}`, withoutCa)).rejects.toThrow(
      /self.signed|unable to verify|certificate/i,
    );
    expect(metricValue(await registry.metrics(), "sensorstream_gateway_connects_total", { outcome: "ok" })).toBe(2);
  });

  it("with a CA, requires a client certificate signed by it whose CN is the username", async () => {
    const { gateway, registry } = await start({
      MQTT_TLS_CERT_FILE: join(dir, "server.pem"),
      MQTT_TLS_KEY_FILE: join(dir, "server.key"),
      MQTT_TLS_CA_FILE: join(dir, "ca.pem"),
    });
    const url = `mqtts://127.0.0.1:${gateway.tlsPort}`;
    const creds = { clientId: "tls-1", username: "tls-1", password: tokens.get("tls-1") ?? "", ca: file("ca.pem") };
    const ok = await connect(url, { ...creds, cert: file("tls-1.pem"), key: file("tls-1.key") });
    expect(ok.connected).toBe(true);
    await expect(connect(url, creds)).rejects.toThrow(/certificate required/);
    await expect(connect(url, { ...creds, cert: file("evil.pem"), key: file("evil.key") })).rejects.toThrow(
      /Bad username or password/,
    );
    // Secure WebSocket: the same second factor, read from the HTTPS connection under the WebSocket.
    const wss = `wss://127.0.0.1:${gateway.wssPort}/mqtt`;
    const overWss = await connect(wss, { ...creds, cert: file("tls-1.pem"), key: file("tls-1.key") });
    expect(overWss.connected).toBe(true);
    await overWss.endAsync();
    await expect(connect(wss, { ...creds, cert: file("evil.pem"), key: file("evil.key") })).rejects.toThrow(
      /Bad username or password/,
    );
    // The plain listener cannot skip the second factor.
    await expect(connect(`mqtt://127.0.0.1:${gateway.mqttPort}`, creds)).rejects.toThrow(/Bad username or password/);
    const text = await registry.metrics();
    expect(metricValue(text, "sensorstream_gateway_connects_total", { outcome: "certificate_mismatch" })).toBe(3);
  });

  it("reads the client address from a PROXY protocol header, so per-IP limits count real clients", async () => {
    const frozen = Date.UTC(2026, 10, 23, 8);
    const { gateway } = await start(
      { MQTT_AUTH: "open", MQTT_PROXY_PROTOCOL: true, MQTT_CONNECT_RATE: 1 },
      () => frozen,
    );
    /** Connects through a "load balancer" that says the client is `ip`; resolves with the CONNACK return code. */
    const connackFrom = (ip: string, clientId: string, v2 = false) =>
      new Promise<number>((resolve, reject) => {
        const s = net.connect({ port: gateway.mqttPort, host: "127.0.0.1" }, () => {
          s.write(v2 ? proxyV2(ip) : Buffer.from(`PROXY TCP4 ${ip} 127.0.0.1 40000 1883\r\n`));
          s.write(
            mqttPacket.generate({
              cmd: "connect",
              protocolId: "MQTT",
              protocolVersion: 4,
              clean: true,
              clientId,
              keepalive: 30,
            }),
          );
        });
        s.once("data", (d: Buffer) => {
          resolve(d[3] as number);
          s.destroy();
        });
        s.once("error", reject);
        s.once("close", () => reject(new Error("closed without CONNACK")));
      });
    // MQTT_CONNECT_RATE=1: a burst of two per address, with the clock standing still.
    expect(await connackFrom("203.0.113.7", "p-1")).toBe(0);
    expect(await connackFrom("203.0.113.7", "p-2", true)).toBe(0);
    expect(await connackFrom("203.0.113.7", "p-3")).toBe(3);
    expect(await connackFrom("203.0.113.8", "p-4")).toBe(0);
    // Without a header the connection is dropped (the gateway must sit behind a load balancer that sends one).
    const bare = net.connect({ port: gateway.mqttPort, host: "127.0.0.1" });
    bare.on("error", () => {});
    bare.write(
      mqttPacket.generate({
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clean: true,
        clientId: "p-5",
        keepalive: 30,
      }),
    );
    await new Promise<void>((r) => bare.once("close", () => r()));
  });
});

function proxyV2(ip: string): Buffer {
  const sig = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
  const addr = [...ip.split(".").map(Number), 127, 0, 0, 1, 0x9c, 0x40, 0x07, 0x5b];
  return Buffer.from([...sig, 0x21, 0x11, 0x00, addr.length, ...addr]);
}
