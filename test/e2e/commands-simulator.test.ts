import { type Fleet, startFleet } from "@sensorstream/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform } from "../fixtures/platform.js";
import { waitFor } from "../fixtures/wait.js";

type Cmd = { command_id: string; state: string };

/**
 * Issue 9's acceptance test with the reference device: a simulated sensor (the simulator's fleet) behind npm start's
 * composition. change_sample_frequency changes the rate of rows stored for it, sleep stops its rows, awake brings
 * them back. Rows are counted by reading time (the sensor's sample clock), over windows that have fully landed, so the
 * counts do not depend on how fast this machine ingests.
 */
describe("commands change what a simulated sensor stores", () => {
  let t: TestPlatform;
  let fleet: Fleet;
  let sensorId: string;
  const api: TestPlatform["api"] = (method, url, body) => t.api(method, url, body);
  /** Issues a command and waits until the sensor acked it; returns when it was issued and when the ack was seen (ms). */
  const command = async (name: string, args: object = {}) => {
    const issuedAt = Date.now();
    const issued = await api("POST", `/api/sensors/${sensorId}/commands`, { name, args });
    expect(issued.status).toBe(202);
    const id = (issued.body as Cmd).command_id;
    await waitFor(async () => ((await api("GET", `/api/commands/${id}`)).body as Cmd).state === "acked", {
      timeoutMs: 30_000,
      message: `${name} was never acked`,
    });
    return { issuedAt, ackedAt: Date.now() };
  };
  /** Readings (distinct sample times) stored for the sensor with a time in [fromMs, toMs). */
  const samplesBetween = async (fromMs: number, toMs: number) => {
    const rows = await t.db.query<{ n: string }>(
      `SELECT count(DISTINCT time)::text AS n FROM measurements
        WHERE sensor_id = $1 AND time >= to_timestamp($2 / 1000.0) AND time < to_timestamp($3 / 1000.0)`,
      [sensorId, fromMs, toMs],
    );
    return Number(rows[0]?.n ?? 0);
  };
  /** Waits until a reading newer than `ms` is stored, so every reading before it has landed too (one sensor, in order). */
  const landedPast = (ms: number) =>
    waitFor(async () => (await samplesBetween(ms, Number.MAX_SAFE_INTEGER)) > 0, {
      timeoutMs: 30_000,
      message: `no reading after ${new Date(ms).toISOString()} was stored`,
    });

  beforeAll(async () => {
    t = await startTestPlatform("cmd_sim");
    fleet = startFleet({
      mqttUrl: `mqtt://127.0.0.1:${t.platform.mqttPort}`,
      sensors: 1,
      idPrefix: "cmdsim",
      rateHz: 2,
      durationS: 0,
      types: ["temperature"],
    });
    sensorId = fleet.sensorIds[0] ?? "";
    await landedPast(Date.now());
  }, 60_000);
  afterAll(async () => {
    await fleet?.stop();
    await t?.close();
  });

  it("change_sample_frequency, sleep and awake change the rows stored for the sensor", async () => {
    // 2 Hz before: a 2 s window that has landed.
    const before = Date.now() - 2_500;
    const atTwoHz = await samplesBetween(before, before + 2_000);

    const fastFrom = (await command("change_sample_frequency", { hz: 10 })).ackedAt + 500;
    await landedPast(fastFrom + 2_000);
    const atTenHz = await samplesBetween(fastFrom, fastFrom + 2_000);
    expect(atTwoHz).toBeGreaterThan(0);
    expect(atTenHz, `10 Hz stored ${atTenHz} readings in 2 s, 2 Hz stored ${atTwoHz}`).toBeGreaterThan(2.5 * atTwoHz);

    const asleepFrom = (await command("sleep")).ackedAt + 500;
    await new Promise((r) => setTimeout(r, 2_000));
    const awake = await command("awake");
    await landedPast(awake.ackedAt);
    // Nothing sampled between the sleep's ack and the awake being issued; readings again after it.
    expect(await samplesBetween(asleepFrom, awake.issuedAt)).toBe(0);
    expect(await samplesBetween(awake.ackedAt, Number.MAX_SAFE_INTEGER)).toBeGreaterThan(0);
    expect((await api("GET", `/api/sensors/${sensorId}`)).body).toMatchObject({
      desired: { mode: "awake" },
      reported: { mode: "awake" },
      in_sync: true,
    });
  });
});
