import { createHash } from "node:crypto";
import { DEAD_LETTER_HEADERS } from "@sensorstream/bus";
import { formatMicros, MAX_LOG_FIELD_DEPTH, parseRfc3339ToMicros } from "@sensorstream/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { QueuedMessage } from "../fixtures/amqp.js";
import { metricValue } from "../fixtures/prometheus.js";
import { waitFor } from "../fixtures/wait.js";
import { metricsText, publishDirect, type Spine, startSpine } from "./harness.js";

type LogRow = { us: string; level: string; msg: string; fields: Record<string, unknown>; msg_hash: string };

const us = (iso: string): string => {
  const r = parseRfc3339ToMicros(iso);
  if (!r.ok) throw new Error(r.error);
  return String(r.us);
};
const md5 = (s: string): string => createHash("md5").update(s, "utf8").digest("hex");

const logsOf = (spine: Spine, sensorId: string): Promise<LogRow[]> =>
  spine.db.query<LogRow>(
    `SELECT (extract(epoch from time) * 1000000)::bigint::text AS us, level, msg, fields, msg_hash
       FROM sensor_logs WHERE sensor_id = $1 ORDER BY time, level, msg`,
    [sensorId],
  );

/** Waits until `sensorId` has exactly `n` log rows and returns them. */
async function waitForLogs(spine: Spine, sensorId: string, n: number): Promise<LogRow[]> {
  let seen = 0;
  return waitFor(
    async () => {
      const rows = await logsOf(spine, sensorId);
      seen = rows.length;
      return rows.length === n ? rows : false;
    },
    { message: () => `${sensorId} has ${seen} of ${n} log rows` },
  );
}

/** Waits for at least `n` dead letters and takes them all off the queue. */
const takeDeadLetters = (spine: Spine, n: number): Promise<QueuedMessage[]> =>
  waitFor(
    async () => ((await spine.vhost.queueDepth("dead_letters")) >= n ? spine.vhost.readQueue("dead_letters") : false),
    { message: `expected ${n} dead letters` },
  );

const busMessage = (sensor: string, id: string, entries: Array<{ time: string; level: string; msg: string }>) => ({
  key: `sensor_${sensor}.logs`,
  body: {
    msg_id: id,
    sensor_id: sensor,
    received_at: formatMicros(Date.now() * 1000),
    entries: entries.map((e) => ({ fields: {}, ...e })),
  },
});

describe("logs: MQTT -> gateway -> RabbitMQ -> log ingester -> sensor_logs", () => {
  let spine: Spine;
  const ingesterMetrics = () => metricsText(spine.logIngester?.registry ?? spine.gatewayRegistry);
  beforeAll(async () => {
    spine = await startSpine("logs", { ingesters: 0, logIngester: true });
  });
  afterAll(async () => {
    await spine?.close();
  });

  it("stores a single line and an array of lines, every level, with their time, msg and extra fields", async () => {
    const c = await spine.connect("boiler-1");
    await c.publishAsync(
      "sensors/boiler-1/logs",
      JSON.stringify({ ts: "2026-11-23T08:00:00.123456789Z", level: "warn", msg: "pressure high", bar: 7.5 }),
      { qos: 1 },
    );
    await c.publishAsync(
      "sensors/boiler-1/logs",
      JSON.stringify([
        { ts: "2026-11-23T10:00:01+02:00", level: "debug", msg: "tick", n: 1 },
        { ts: 1_795_420_802_000, msg: "no level means info" },
        {
          ts: "2026-11-23T08:00:03Z",
          level: "error",
          msg: "burner fault: ignition failed ✗",
          code: "E42",
          ctx: { tries: [1, 2, 3], ok: false, note: null },
        },
        { ts: "2026-11-23T08:00:04Z", level: "info", msg: 'multi\nline\ttext with \\ and "quotes"' },
        { ts: "2026-11-23T08:00:05Z", level: "warn", msg: "" },
      ]),
      { qos: 1 },
    );
    const rows = await waitForLogs(spine, "boiler-1", 6);
    expect(rows).toEqual(
      [
        { us: us("2026-11-23T08:00:00.123456Z"), level: "warn", msg: "pressure high", fields: { bar: 7.5 } },
        { us: us("2026-11-23T08:00:01Z"), level: "debug", msg: "tick", fields: { n: 1 } },
        { us: us("2026-11-23T08:00:02Z"), level: "info", msg: "no level means info", fields: {} },
        {
          us: us("2026-11-23T08:00:03Z"),
          level: "error",
          msg: "burner fault: ignition failed ✗",
          fields: { code: "E42", ctx: { tries: [1, 2, 3], ok: false, note: null } },
        },
        { us: us("2026-11-23T08:00:04Z"), level: "info", msg: 'multi\nline\ttext with \\ and "quotes"', fields: {} },
        { us: us("2026-11-23T08:00:05Z"), level: "warn", msg: "", fields: {} },
      ].map((r) => ({ ...r, msg_hash: md5(r.msg) })),
    );

    const text = await ingesterMetrics();
    const lines = (level: string) => metricValue(text, "sensorstream_ingester_log_lines_total", { level });
    expect([lines("debug"), lines("info"), lines("warn"), lines("error")]).toEqual([1, 2, 2, 1]);
    expect(metricValue(text, "sensorstream_ingester_rows_total", { ingester: "logs", outcome: "inserted" })).toBe(6);
  });

  it("stamps a line without ts with the time the gateway received it", async () => {
    const c = await spine.connect("boiler-2");
    const before = Date.now() * 1000;
    await c.publishAsync("sensors/boiler-2/logs", JSON.stringify({ level: "info", msg: "boot", fw: "1.4.0" }), {
      qos: 1,
    });
    const after = Date.now() * 1000;
    const [row] = await waitForLogs(spine, "boiler-2", 1);
    expect(row).toMatchObject({ level: "info", msg: "boot", fields: { fw: "1.4.0" } });
    expect(Number(row?.us)).toBeGreaterThanOrEqual(before);
    expect(Number(row?.us)).toBeLessThanOrEqual(after);
  });

  it("never duplicates a line when the same message is delivered twice", async () => {
    const m = busMessage("replay-1", "replayed-1", [
      { time: "2026-11-23T08:00:00.000001Z", level: "info", msg: "once" },
      { time: "2026-11-23T08:00:00.000001Z", level: "warn", msg: "once" },
      { time: "2026-11-23T08:00:00.000002Z", level: "info", msg: "x".repeat(8192) },
    ]);
    const before = metricValue(await ingesterMetrics(), "sensorstream_ingester_rows_total", { outcome: "duplicate" });
    await publishDirect(spine.vhost.url, [m, m]);
    await waitFor(
      async () =>
        metricValue(await ingesterMetrics(), "sensorstream_ingester_rows_total", { outcome: "duplicate" }) - before >=
        3,
      { message: "the replay was not processed" },
    );
    const rows = await logsOf(spine, "replay-1");
    expect(rows.map((r) => [r.level, r.msg.slice(0, 4), r.msg_hash])).toEqual([
      ["info", "once", md5("once")],
      ["warn", "once", md5("once")],
      ["info", "xxxx", md5("x".repeat(8192))],
    ]);
  });

  it("dead-letters bad log payloads with a reason and lands the good lines around them", async () => {
    const c = await spine.connect("pump-3");
    const good = (i: number) =>
      JSON.stringify({ ts: formatMicros(Date.UTC(2026, 10, 23, 9, 0, i) * 1000), msg: `ok ${i}` });
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_LOG_FIELD_DEPTH; i++) deep = { n: deep };
    const bad: Array<[payload: string, reason: string, error: RegExp]> = [
      ["{not json", "malformed_json", /not JSON/],
      [JSON.stringify({ level: "info", msg: 42 }), "invalid_payload", /^msg: /],
      [JSON.stringify({ level: "fatal", msg: "x" }), "invalid_payload", /^level: /],
      [
        JSON.stringify([{ msg: "fine" }, { msg: "nul \u0000 inside" }]),
        "invalid_payload",
        /^\[1\]\.msg: contains a NUL/,
      ],
      [JSON.stringify({ msg: "x", ctx: { note: "\u0000" } }), "invalid_payload", /^ctx\.note: contains a NUL/],
      [JSON.stringify({ msg: "x", deep }), "invalid_payload", /^deep(\.n)+: nested deeper than/],
    ];
    let i = 0;
    for (const [payload] of bad) {
      await c.publishAsync("sensors/pump-3/logs", good(i++), { qos: 1 });
      await c.publishAsync("sensors/pump-3/logs", payload, { qos: 1 });
    }
    await c.publishAsync("sensors/pump-3/logs", good(i++), { qos: 1 });
    expect(c.connected).toBe(true);
    const rows = await waitForLogs(spine, "pump-3", i);
    expect(rows.map((r) => r.msg)).toEqual(Array.from({ length: i }, (_, n) => `ok ${n}`));

    const letters = await takeDeadLetters(spine, bad.length);
    expect(letters).toHaveLength(bad.length);
    for (const [n, [, reason, error]] of bad.entries()) {
      const l = letters[n];
      expect(l?.headers[DEAD_LETTER_HEADERS.reason]).toBe(reason);
      expect(String(l?.headers[DEAD_LETTER_HEADERS.error])).toMatch(error);
      expect(l?.headers[DEAD_LETTER_HEADERS.sensorId]).toBe("pump-3");
    }
  });

  it("dead-letters what the log ingester cannot parse or store, and still writes the rest of the batch", async () => {
    // A constraint only this test's data violates: a permanent (SQLSTATE 23514) error for one message of a batch.
    await spine.db.query("ALTER TABLE sensor_logs ADD CONSTRAINT no_poison CHECK (msg <> 'poison')");
    try {
      const line = (i: number) => ({
        time: formatMicros(Date.UTC(2026, 10, 23, 10) * 1000 + i),
        level: "info",
        msg: `line ${i}`,
      });
      const batch = Array.from({ length: 100 }, (_, i) =>
        busMessage("bisect-1", `bisect-${i}`, [i === 37 ? { ...line(i), msg: "poison" } : line(i)]),
      );
      const invalid = [
        { key: "sensor_bisect-1.logs", body: "][" },
        { key: "sensor_other.logs", body: busMessage("bisect-1", "wrong-key", [line(1000)]).body },
        // The gateway refuses a NUL; the ingester refuses one published straight to the bus too.
        busMessage("bisect-1", "nul-on-the-bus", [{ ...line(1001), msg: "a\u0000b" }]),
      ];
      await publishDirect(spine.vhost.url, [...batch.slice(0, 50), ...invalid, ...batch.slice(50)]);
      const rows = await waitForLogs(spine, "bisect-1", 99);
      expect(rows.some((r) => r.msg === "poison")).toBe(false);

      const letters = await takeDeadLetters(spine, 4);
      const idOf = (l: QueuedMessage): string => {
        try {
          return JSON.parse(l.content.toString()).msg_id;
        } catch {
          return "(not JSON)";
        }
      };
      const byId = new Map(letters.map((l) => [idOf(l), l]));
      expect([...byId.keys()].sort()).toEqual(["(not JSON)", "bisect-37", "nul-on-the-bus", "wrong-key"]);
      const poison = byId.get("bisect-37");
      expect(poison?.headers[DEAD_LETTER_HEADERS.reason]).toBe("permanent_store_error");
      expect(String(poison?.headers[DEAD_LETTER_HEADERS.error])).toContain("no_poison");
      expect(poison?.headers[DEAD_LETTER_HEADERS.source]).toBe("logs");
      expect(byId.get("wrong-key")?.headers[DEAD_LETTER_HEADERS.error]).toMatch(/does not match sensor_id bisect-1/);
      expect(byId.get("nul-on-the-bus")?.headers[DEAD_LETTER_HEADERS.error]).toMatch(
        /^entries\[0\]\.msg: contains a NUL/,
      );
      expect(letters.filter((l) => l.headers[DEAD_LETTER_HEADERS.reason] === "invalid_payload")).toHaveLength(3);

      const text = await ingesterMetrics();
      expect(
        metricValue(text, "sensorstream_ingester_messages_total", { ingester: "logs", outcome: "permanent" }),
      ).toBe(1);
      expect(metricValue(text, "sensorstream_ingester_messages_total", { ingester: "logs", outcome: "invalid" })).toBe(
        3,
      );
    } finally {
      await spine.db.query("ALTER TABLE sensor_logs DROP CONSTRAINT no_poison");
    }
  });
});
