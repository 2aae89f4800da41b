/**
 * Range, bucketed and gap-filled queries and exports of one sensor, against a real PostgreSQL (plain tables:
 * date_bin over the raw rows).
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../fixtures/api.js";

const TOKEN = "test-api-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };
type Json = Record<string, unknown>;
type Item = Record<string, unknown> & { time: string; metric: string };

describe("measurement ranges", () => {
  let api: TestApi;
  const get = async (url: string) => {
    const r = await api.app.inject({ method: "GET", url, headers: auth });
    return { status: r.statusCode, headers: r.headers, body: r.body, json: () => r.json() as Json };
  };
  const items = async (url: string): Promise<Item[]> => {
    const r = await get(url);
    expect(r.status, r.body).toBe(200);
    return r.json().items as Item[];
  };

  beforeAll(async () => {
    api = await startTestApi("ranges", TOKEN);
    await api.app.ready();
    for (const [id, type] of [
      ["r1"],
      ["g1"],
      ["quiet"],
      ["p1", "pump"],
      ["p2", "pump"],
      ["p3", "pump"],
      ["f1", "fan"],
    ]) {
      const payload = type ? { id, type } : { id };
      const r = await api.app.inject({ method: "POST", url: "/api/sensors", headers: auth, payload });
      expect(r.statusCode).toBe(201);
    }
    // pumps p1..p3 and fan f1: rpm once a minute for 3 minutes (p2 none in minute 1); a track for p1.
    await api.db.query(
      `INSERT INTO measurements (time, sensor_id, metric, value)
       SELECT timestamptz '2026-11-23T12:00:00Z' + i * interval '1 minute', s, 'rpm', i * 10 + length(s)
         FROM generate_series(0, 2) i, unnest(ARRAY['p1', 'p2', 'p3', 'f1']) s
        WHERE NOT (s = 'p2' AND i = 1)`,
    );
    await api.db.query(
      `INSERT INTO positions (time, sensor_id, lat, lon)
       SELECT timestamptz '2026-11-23T12:00:00Z' + i * interval '10 seconds', 'p1', -33.4 + i / 1000.0, -70.6
         FROM generate_series(0, 4) i`,
    );
    // r1: 20 instants a second apart, five metrics each (many rows share a timestamp).
    await api.db.query(
      `INSERT INTO measurements (time, sensor_id, metric, value)
       SELECT timestamptz '2026-11-23T08:00:00Z' + i * interval '1 second', 'r1', m, i
         FROM generate_series(0, 19) i, unnest(ARRAY['a', 'b', 'c', 'd', 'e']) m`,
    );
    // g1: x at minutes 0, 3 and 4 (1 and 2 empty); y only at minute 2. Two readings in minute 0.
    await api.db.query(
      `INSERT INTO measurements (time, sensor_id, metric, value) VALUES
         ('2026-11-23T10:00:10Z', 'g1', 'x', 10), ('2026-11-23T10:00:50Z', 'g1', 'x', 20),
         ('2026-11-23T10:03:00Z', 'g1', 'x', 50), ('2026-11-23T10:04:59.999999Z', 'g1', 'x', 60),
         ('2026-11-23T10:05:00Z', 'g1', 'x', 1000),
         ('2026-11-23T10:02:30Z', 'g1', 'y', 7)`,
    );
  });
  afterAll(async () => {
    await api?.close();
  });

  describe("raw", () => {
    const all = "/api/sensors/r1/measurements?from=2026-11-23T08:00:00Z&to=2026-11-23T09:00:00Z";

    it("pages through equal timestamps without gaps or repeats, time then metric", async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 50; pages++) {
        const r = await get(`${all}&limit=3${after ? `&after=${after}` : ""}`);
        expect(r.status, r.body).toBe(200);
        const body = r.json() as { items: Item[]; next_after: string | null };
        expect(body.items.length).toBeLessThanOrEqual(3);
        seen.push(...body.items.map((i) => `${i.time}/${i.metric}/${String(i.value)}`));
        after = body.next_after;
        if (after === null) break;
      }
      const expected = Array.from({ length: 20 }, (_, i) =>
        ["a", "b", "c", "d", "e"].map((m) => `2026-11-23T08:00:${String(i).padStart(2, "0")}.000000Z/${m}/${i}`),
      ).flat();
      expect(seen).toStrictEqual(expected);
    });

    it("filters metrics and the half-open range, and answers an empty page for a quiet sensor", async () => {
      const r = await items(
        "/api/sensors/r1/measurements?from=2026-11-23T08:00:18Z&to=2026-11-23T08:00:19Z&metrics=e,b,nope",
      );
      expect(r).toStrictEqual([
        { time: "2026-11-23T08:00:18.000000Z", metric: "b", value: 18 },
        { time: "2026-11-23T08:00:18.000000Z", metric: "e", value: 18 },
      ]);
      const quiet = await get("/api/sensors/quiet/measurements?from=2026-11-23T08:00:00Z");
      expect(quiet.json()).toStrictEqual({ sensor_id: "quiet", items: [], next_after: null });
      expect((await get("/api/sensors/nobody/measurements?from=2026-11-23T08:00:00Z")).status).toBe(404);
    });
  });

  describe("buckets", () => {
    const g1 = (q: string) =>
      items(`/api/sensors/g1/measurements?from=2026-11-23T10:00:00Z&to=2026-11-23T10:05:00Z&bucket=1m&${q}`);

    it("aligns buckets to the epoch in UTC, whatever offset the range is written in", async () => {
      // 12:00+02:00 is 10:00Z; the answer is in UTC; 10:04:59.999999 is in the 10:04 bucket, 10:05:00 is out.
      const r = await items(
        "/api/sensors/g1/measurements?from=2026-11-23T12:00:00%2B02:00&to=2026-11-23T12:05:00%2B02:00&bucket=1m&agg=count,min,max,avg,sum,first,last&metrics=x",
      );
      expect(r).toStrictEqual([
        {
          time: "2026-11-23T10:00:00.000000Z",
          metric: "x",
          count: 2,
          min: 10,
          max: 20,
          avg: 15,
          sum: 30,
          first: 10,
          last: 20,
        },
        {
          time: "2026-11-23T10:03:00.000000Z",
          metric: "x",
          count: 1,
          min: 50,
          max: 50,
          avg: 50,
          sum: 50,
          first: 50,
          last: 50,
        },
        {
          time: "2026-11-23T10:04:00.000000Z",
          metric: "x",
          count: 1,
          min: 60,
          max: 60,
          avg: 60,
          sum: 60,
          first: 60,
          last: 60,
        },
      ]);
      // A range starting mid-bucket: the first bucket is labelled with its aligned start and holds only rows in range.
      const mid = await items(
        "/api/sensors/g1/measurements?from=2026-11-23T10:00:30Z&to=2026-11-23T10:01:00Z&bucket=5m&agg=count,avg&metrics=x",
      );
      expect(mid).toStrictEqual([{ time: "2026-11-23T10:00:00.000000Z", metric: "x", count: 1, avg: 20 }]);
    });

    it("fill=none leaves empty buckets out; fill=null shows them with null aggregates and count 0", async () => {
      expect((await g1("agg=avg&fill=none")).map((i) => `${i.time.slice(11, 16)} ${i.metric} ${i.avg}`)).toStrictEqual([
        "10:00 x 15",
        "10:02 y 7",
        "10:03 x 50",
        "10:04 x 60",
      ]);
      const nulls = await g1("agg=avg,count&fill=null");
      expect(nulls.map((i) => `${i.time.slice(11, 16)} ${i.metric} ${i.avg} ${i.count}`)).toStrictEqual([
        "10:00 x 15 2",
        "10:00 y null 0",
        "10:01 x null 0",
        "10:01 y null 0",
        "10:02 x null 0",
        "10:02 y 7 1",
        "10:03 x 50 1",
        "10:03 y null 0",
        "10:04 x 60 1",
        "10:04 y null 0",
      ]);
    });

    it("fill=previous carries the last value forward; nothing before the first value", async () => {
      const r = await g1("agg=avg,max&fill=previous");
      expect(r.map((i) => `${i.time.slice(11, 16)} ${i.metric} ${i.avg} ${i.max}`)).toStrictEqual([
        "10:00 x 15 20",
        "10:00 y null null",
        "10:01 x 15 20",
        "10:01 y null null",
        "10:02 x 15 20",
        "10:02 y 7 7",
        "10:03 x 50 50",
        "10:03 y 7 7",
        "10:04 x 60 60",
        "10:04 y 7 7",
      ]);
    });

    it("fill=linear interpolates between neighbouring buckets in time; no neighbour, no value", async () => {
      const r = await g1("agg=avg&fill=linear&metrics=x,y");
      // x: 15 at 10:00, 50 at 10:03 -> 10:01 = 15 + 35/3, 10:02 = 15 + 70/3
      const x = r.filter((i) => i.metric === "x").map((i) => i.avg as number);
      expect(x[0]).toBe(15);
      expect(x[1]).toBeCloseTo(15 + 35 / 3, 9);
      expect(x[2]).toBeCloseTo(15 + 70 / 3, 9);
      expect(x.slice(3)).toStrictEqual([50, 60]);
      expect(r.filter((i) => i.metric === "y").map((i) => i.avg)).toStrictEqual([null, null, 7, null, null]);
    });

    it("with metrics named, a metric without any data gets its empty buckets too", async () => {
      const r = await g1("agg=count&fill=null&metrics=zzz");
      expect(r.map((i) => i.count)).toStrictEqual([0, 0, 0, 0, 0]);
      expect(await g1("agg=count&fill=none&metrics=zzz")).toStrictEqual([]);
    });
  });

  describe("bad parameters", () => {
    const base = "/api/sensors/g1/measurements?from=2026-11-23T10:00:00Z&to=2026-11-23T11:00:00Z";
    it.each([
      ["&to=x", "query.to"],
      [
        "&bucket=1m&agg=median",
        'unknown aggregate "median"; use one or more of avg, min, max, sum, count, first, last',
      ],
      ["&bucket=2d", "outside 1s..1d"],
      ["&bucket=5", "write a whole number and s, m, h or d"],
      ["&agg=avg", "agg needs bucket"],
      ["&fill=linear", "fill needs bucket"],
      ["&bucket=1m&fill=zero", "fill is one of none, null, previous, linear"],
      ["&format=xml", "format is one of json, csv, ndjson"],
      ["&metrics=a,1bad", "is not a metric name"],
      ["&limit=10001", "limit"],
    ])("%s → 400 saying %s", async (extra, message) => {
      const url = extra.startsWith("&to=")
        ? `${base.replace("&to=2026-11-23T11:00:00Z", "")}${extra}`
        : `${base}${extra}`;
      const r = await get(url);
      expect(r.status, r.body).toBe(400);
      const error = r.json().error as { code: string; message: string };
      expect(error.code).toBe("invalid_query");
      expect(error.message).toContain(message);
    });

    it("says to swap a range that ends before it starts, and to narrow or export one with too many buckets", async () => {
      const swapped = await get("/api/sensors/g1/measurements?from=2026-11-23T11:00:00Z&to=2026-11-23T10:00:00Z");
      expect(swapped.status).toBe(400);
      expect(swapped.json()).toMatchObject({
        error: { message: "query.from: from must be before to (the range is [from, to))" },
      });
      const many = await get(
        `/api/sensors/g1/measurements?from=2026-11-01T00:00:00Z&to=2026-11-23T00:00:00Z&bucket=1m`,
      );
      expect(many.status).toBe(400);
      expect(many.json()).toMatchObject({
        error: {
          message:
            "query.bucket: the range holds 31680 buckets of this width, more than 20000 in a JSON answer; use a wider bucket or a shorter range, or export it with format=csv or format=ndjson",
        },
      });
    });
  });

  describe("exports", () => {
    it("streams raw CSV with a header, a content type and a file name", async () => {
      const r = await get(
        "/api/sensors/r1/measurements?from=2026-11-23T08:00:00Z&to=2026-11-23T08:00:02Z&metrics=a,b&format=csv",
      );
      expect(r.status).toBe(200);
      expect(r.headers["content-type"]).toBe("text/csv; charset=utf-8");
      expect(r.headers["content-disposition"]).toBe(
        'attachment; filename="r1_raw_2026-11-23T08-00-00-000000Z_2026-11-23T08-00-02-000000Z.csv"',
      );
      expect(r.body).toBe(
        [
          "time,metric,value",
          "2026-11-23T08:00:00.000000Z,a,0",
          "2026-11-23T08:00:00.000000Z,b,0",
          "2026-11-23T08:00:01.000000Z,a,1",
          "2026-11-23T08:00:01.000000Z,b,1",
          "",
        ].join("\n"),
      );
    });

    it("streams bucketed NDJSON, one item per line, nulls included", async () => {
      const r = await get(
        "/api/sensors/g1/measurements?from=2026-11-23T10:00:00Z&to=2026-11-23T10:03:00Z&bucket=1m&agg=avg,count&fill=null&metrics=x&format=ndjson",
      );
      expect(r.status).toBe(200);
      expect(r.headers["content-type"]).toBe("application/x-ndjson");
      expect(r.body.endsWith("\n")).toBe(true);
      expect(
        r.body
          .trimEnd()
          .split("\n")
          .map((l) => JSON.parse(l)),
      ).toStrictEqual([
        { time: "2026-11-23T10:00:00.000000Z", metric: "x", avg: 15, count: 2 },
        { time: "2026-11-23T10:01:00.000000Z", metric: "x", avg: null, count: 0 },
        { time: "2026-11-23T10:02:00.000000Z", metric: "x", avg: null, count: 0 },
      ]);
      const csv = await get(
        "/api/sensors/g1/measurements?from=2026-11-23T10:00:00Z&to=2026-11-23T10:02:00Z&bucket=1m&agg=avg,count&fill=null&metrics=x&format=csv",
      );
      expect(csv.body).toBe(
        "time,metric,avg,count\n2026-11-23T10:00:00.000000Z,x,15,2\n2026-11-23T10:01:00.000000Z,x,,0\n",
      );
    });

    it("streams a large range with backpressure: the database waits while the client does not read", async () => {
      const n = 300_000;
      await api.db.query(
        `INSERT INTO measurements (time, sensor_id, metric, value)
         SELECT timestamptz '2026-01-01T00:00:00Z' + i * interval '1 millisecond', 'big', 'v', i
           FROM generate_series(1, $1) i`,
        [n],
      );
      const address = await api.app.listen({ port: 0, host: "127.0.0.1" });
      const url = `${address}/api/sensors/big/measurements?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&format=ndjson`;
      const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
        http.get(url, { headers: auth }, resolve).on("error", reject),
      );
      expect(res.statusCode).toBe(200);
      res.pause();
      // Not reading: the API stops pulling, so its COPY stays open, blocked writing to the API (ClientWrite),
      // rather than finishing into the API's memory.
      let state: { wait_event: string | null } | undefined;
      for (let i = 0; i < 100; i++) {
        [state] = await api.db.query<{ wait_event: string | null }>(
          "SELECT wait_event FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT json_build_object%' AND state = 'active'",
        );
        if (state?.wait_event === "ClientWrite") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(state?.wait_event).toBe("ClientWrite");
      let lines = 0;
      let tail = "";
      let last = "";
      res.setEncoding("utf8");
      for await (const chunk of res) {
        const text = tail + (chunk as string);
        const parts = text.split("\n");
        tail = parts.pop() ?? "";
        lines += parts.length;
        if (parts.length > 0) last = parts[parts.length - 1] ?? "";
      }
      expect(tail).toBe("");
      expect(lines).toBe(n);
      expect(JSON.parse(last)).toStrictEqual({ time: "2026-01-01T00:05:00.000000Z", metric: "v", value: n });
    });
  });
  describe("fleet", () => {
    const fleet = "/api/measurements?metric=rpm&from=2026-11-23T12:00:00Z&to=2026-11-23T12:03:00Z&bucket=1m";
    it("charts one metric across a type's sensors, a page of sensors at a time", async () => {
      const seen: string[] = [];
      let after: string | null = "";
      for (let i = 0; i < 5 && after !== null; i++) {
        const r = await get(`${fleet}&type=pump&agg=max&fill=null&limit=2${after ? `&after=${after}` : ""}`);
        expect(r.status, r.body).toBe(200);
        const body = r.json() as { items: Item[]; next_after: string | null; metric: string };
        expect(body.metric).toBe("rpm");
        seen.push(...body.items.map((x) => `${x.time.slice(11, 16)} ${String(x.sensor_id)} ${String(x.max)}`));
        after = body.next_after;
      }
      expect(seen).toStrictEqual([
        "12:00 p1 2",
        "12:00 p2 2",
        "12:01 p1 12",
        "12:01 p2 null",
        "12:02 p1 22",
        "12:02 p2 22",
        "12:00 p3 2",
        "12:01 p3 12",
        "12:02 p3 22",
      ]);
    });

    it("takes a list of sensors, exports them all, and says what to change", async () => {
      const r = await items(`${fleet}&sensor_ids=f1,p2&agg=count`);
      expect(r.map((x) => `${x.time.slice(11, 16)} ${String(x.sensor_id)} ${String(x.count)}`)).toStrictEqual([
        "12:00 f1 1",
        "12:00 p2 1",
        "12:01 f1 1",
        "12:02 f1 1",
        "12:02 p2 1",
      ]);
      const csv = await get(`${fleet}&type=pump&agg=avg&format=csv&limit=1`);
      expect(csv.headers["content-type"]).toBe("text/csv; charset=utf-8");
      expect(csv.body.split("\n")[0]).toBe("time,sensor_id,avg");
      expect(csv.body.trimEnd().split("\n")).toHaveLength(1 + 8);
      const both = await get(`${fleet}&type=pump&sensor_ids=p1`);
      expect(both.status).toBe(400);
      expect((both.json().error as { message: string }).message).toContain("either sensor_ids=a,b,… or type=…");
      const wide = await get(
        "/api/measurements?metric=rpm&type=pump&from=2026-11-01T00:00:00Z&to=2026-11-10T00:00:00Z&bucket=1m&limit=1000",
      );
      expect(wide.status).toBe(400);
      expect((wide.json().error as { message: string }).message).toContain("lower limit to 15 or use a wider bucket");
    });
  });

  describe("track", () => {
    const track = "/api/sensors/p1/track?from=2026-11-23T12:00:00Z&to=2026-11-23T13:00:00Z";
    it("pages positions in time order", async () => {
      const first = await get(`${track}&limit=3`);
      const body = first.json() as { items: { time: string; lat: number; lon: number }[]; next_after: string };
      expect(body.items.map((p) => p.time.slice(11, 19))).toStrictEqual(["12:00:00", "12:00:10", "12:00:20"]);
      expect(body.items[1]).toStrictEqual({ time: "2026-11-23T12:00:10.000000Z", lat: -33.399, lon: -70.6 });
      const rest = await items(`${track}&limit=3&after=${body.next_after}`);
      expect(rest.map((p) => p.time.slice(11, 19))).toStrictEqual(["12:00:30", "12:00:40"]);
    });

    it("answers GeoJSON: a LineString of [lon, lat] with the times", async () => {
      const r = await get(`${track}&format=geojson&limit=2`);
      expect(r.headers["content-type"]).toContain("application/geo+json");
      expect(r.json()).toMatchObject({
        type: "FeatureCollection",
        features: [
          {
            type: "Feature",
            geometry: {
              type: "LineString",
              coordinates: [
                [-70.6, -33.4],
                [-70.6, -33.399],
              ],
            },
            properties: { sensor_id: "p1", times: ["2026-11-23T12:00:00.000000Z", "2026-11-23T12:00:10.000000Z"] },
          },
        ],
        next_after: expect.any(String),
      });
      const none = await get("/api/sensors/quiet/track?from=2026-11-23T12:00:00Z&format=geojson");
      expect(none.json()).toStrictEqual({ type: "FeatureCollection", features: [], next_after: null });
    });
  });
});
