/**
 * iotctl readings / export against the real HTTP API and PostgreSQL: raw pages followed to the end, a bucketed
 * table, an export streamed to stdout, and the API's 400 passed on with its fix.
 */
import { EXIT } from "@sensorstream/iotctl";
import { listen } from "@sensorstream/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../fixtures/api.js";
import { iotctl } from "../fixtures/iotctl.js";

const TOKEN = "iotctl-api-token-0123456789";

describe("iotctl readings and export", () => {
  let t: TestApi;
  let env: Record<string, string>;
  const range = ["--from", "2026-11-23T08:00:00Z", "--to", "2026-11-23T09:00:00Z"];

  beforeAll(async () => {
    t = await startTestApi("iotctl_readings", TOKEN);
    const url = `http://127.0.0.1:${await listen(t.app, 0, "127.0.0.1")}`;
    env = { IOTCTL_API: url, IOTCTL_TOKEN: TOKEN };
    await t.db.query(
      `INSERT INTO measurements (time, sensor_id, metric, value)
       SELECT timestamptz '2026-11-23T08:00:00Z' + i * interval '30 seconds', 'rd-1', m, i
         FROM generate_series(0, 11999) i, unnest(ARRAY['a', 'b']) m`,
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it("follows raw pages to the end of the range (JSON to a pipe)", async () => {
    const r = await iotctl(["readings", "rd-1", ...range], env);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const items = JSON.parse(r.stdout) as { time: string; metric: string; value: number }[];
    expect(items).toHaveLength(240);
    expect(items[0]).toStrictEqual({ time: "2026-11-23T08:00:00.000000Z", metric: "a", value: 0 });
    expect(items.at(-1)).toStrictEqual({ time: "2026-11-23T08:59:30.000000Z", metric: "b", value: 119 });
    const limited = await iotctl(["readings", "rd-1", "--from", "2026-11-23T08:00:00Z", "--limit", "15000"], env);
    expect((JSON.parse(limited.stdout) as unknown[]).length).toBe(15_000);
  });

  it("prints buckets as a table with a column per aggregate", async () => {
    const r = await iotctl(
      ["readings", "rd-1", ...range, "--bucket", "30m", "--agg", "min,max", "--metrics", "a"],
      env,
      true,
    );
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout.split("\n").slice(0, 3)).toStrictEqual([
      expect.stringMatching(/^TIME\s+METRIC\s+MIN\s+MAX$/),
      expect.stringMatching(/^2026-11-23T08:00:00.000000Z\s+a\s+0\s+59$/),
      expect.stringMatching(/^2026-11-23T08:30:00.000000Z\s+a\s+60\s+119$/),
    ]);
  });

  it("streams an export to stdout", async () => {
    const r = await iotctl(["export", "rd-1", ...range, "--metrics", "b", "--format", "csv"], env);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("time,metric,value");
    expect(lines).toHaveLength(121);
    expect(lines[120]).toBe("2026-11-23T08:59:30.000000Z,b,119");
  });

  it("passes the API's refusal on, with what to change", async () => {
    const r = await iotctl(["readings", "rd-1", ...range, "--bucket", "1m", "--agg", "median"], env);
    expect(r.code).toBe(EXIT.api);
    expect(r.stderr).toContain('unknown aggregate "median"; use one or more of avg, min, max, sum, count, first, last');
    const e = await iotctl(["export", "rd-1", "--from", "2026-11-23T09:00:00Z", "--to", "2026-11-23T08:00:00Z"], env);
    expect(e.code).toBe(EXIT.api);
    expect(e.stderr).toContain("from must be before to");
  });
});
