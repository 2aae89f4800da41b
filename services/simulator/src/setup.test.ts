import { describe, expect, it } from "vitest";
import type { FleetOptions } from "./options.js";
import { prepareFleet } from "./setup.js";

const base: FleetOptions = {
  mqttUrl: "mqtts://gw:8883",
  sensors: 10,
  rateHz: 1,
  idPrefix: "sim",
  types: ["gps", "vibration"],
};
const files: Record<string, string> = { "creds.csv": "id,token\na,1\nb,2\nc,3\n", "ca.pem": "PEM" };
const readFile = async (path: string) => {
  const text = files[path];
  if (text === undefined) throw new Error("ENOENT: no such file");
  return Buffer.from(text);
};

describe("prepareFleet", () => {
  it("runs the sensors of a credentials file with their tokens, or the first --sensors of them", async () => {
    const all = await prepareFleet(base, { credentialsFile: "creds.csv" }, { readFile });
    expect(all.ids).toStrictEqual(["a", "b", "c"]);
    expect(all.sensors).toBe(3);
    expect(all.tokens?.get("b")).toBe("2");
    const two = await prepareFleet(
      { ...base, sensors: 2 },
      { credentialsFile: "creds.csv", sensorsGiven: true },
      { readFile },
    );
    expect(two.ids).toStrictEqual(["a", "b"]);
    await expect(
      prepareFleet({ ...base, sensors: 4 }, { credentialsFile: "creds.csv", sensorsGiven: true }, { readFile }),
    ).rejects.toThrow(/holds only 3 sensors/);
  });

  it("says which file is missing or wrong", async () => {
    await expect(prepareFleet(base, { credentialsFile: "nope.csv" }, { readFile })).rejects.toThrow(
      /^--credentials nope\.csv: ENOENT/,
    );
    files["bad.csv"] = "a";
    await expect(prepareFleet(base, { credentialsFile: "bad.csv" }, { readFile })).rejects.toThrow(/^bad\.csv: line 1/);
  });

  it("provisions the fleet's own ids with their types, and reads the CA", async () => {
    const bodies: unknown[] = [];
    const fetchFn = (async (_url: URL | string | Request, init?: RequestInit) => {
      const body = JSON.parse(String(init?.body)) as { id: string };
      bodies.push(body);
      return Response.json({ token: `t-${body.id}` }, { status: 201 });
    }) as typeof fetch;
    const out = await prepareFleet(
      { ...base, sensors: 3 },
      { provision: { apiUrl: "http://api:8080", apiToken: "x" }, caFile: "ca.pem" },
      { readFile, fetch: fetchFn },
    );
    expect(bodies).toStrictEqual([
      { id: "sim-1", type: "gps" },
      { id: "sim-2", type: "vibration" },
      { id: "sim-3", type: "gps" },
    ]);
    expect([...(out.tokens ?? [])]).toStrictEqual([
      ["sim-1", "t-sim-1"],
      ["sim-2", "t-sim-2"],
      ["sim-3", "t-sim-3"],
    ]);
    expect(out.ids).toBeUndefined();
    expect(String(out.ca)).toBe("PEM");
  });
});
