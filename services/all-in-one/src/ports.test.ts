import { createServer, type Server } from "node:net";
import { PortInUseError } from "@sensorstream/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { allInOneConfigSchema } from "./config.js";
import { choosePort } from "./platform.js";

const occupy = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen({ port, host: "127.0.0.1" }, () => resolve(srv));
  });

describe("npm start's port choice", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  it("moves an unset port past a taken default and says so", async () => {
    const taken = await occupy(0);
    servers.push(taken);
    const port = (taken.address() as { port: number }).port;
    const notes: string[] = [];
    const config = { ...allInOneConfigSchema.parse({}), MQTT_PORT: undefined };
    const chosen = await choosePort(config, "MQTT_PORT", "127.0.0.1", notes, port);
    expect(chosen).toBeGreaterThan(port);
    expect(notes).toEqual([`MQTT_PORT ${port} is taken; using ${chosen} (set MQTT_PORT to choose)`]);
  });

  it("refuses an explicitly configured port that is taken", async () => {
    const taken = await occupy(0);
    servers.push(taken);
    const port = (taken.address() as { port: number }).port;
    const config = allInOneConfigSchema.parse({ MQTT_PORT: String(port) });
    await expect(choosePort(config, "MQTT_PORT", "127.0.0.1", [])).rejects.toThrow(PortInUseError);
    await expect(choosePort(config, "MQTT_PORT", "127.0.0.1", [])).rejects.toThrow(
      `MQTT_PORT=${port} is already in use`,
    );
  });
});
