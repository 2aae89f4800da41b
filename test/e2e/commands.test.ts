import { randomUUID } from "node:crypto";
import { type CommandService, commandService } from "@sensorstream/command";
import { CommandAdmin, type CommandRecord } from "@sensorstream/commands";
import { COMMAND_NAMES, type CommandName } from "@sensorstream/contracts";
import { registryService } from "@sensorstream/registry";
import amqp from "amqplib";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { createTestDatabase, type TestDatabase } from "../fixtures/pg.js";
import { metricValue } from "../fixtures/prometheus.js";
import { describeRabbitMq } from "../fixtures/rabbitmq-only.js";
import { type StartedService, startService } from "../fixtures/services.js";
import { waitFor } from "../fixtures/wait.js";
import { metricsText, publishDirect } from "./harness.js";

/** Where the test sees what the command service sends to sensors (as a gateway replica's queue would). */
const OUTBOUND = "test.outbound";

/**
 * The command service on real RabbitMQ and PostgreSQL, fed with bus messages published directly (as the
 * gateways and the registry would): delivery reports, acks (good and bad), presence, expiry, a restart.
 */
describeRabbitMq("the command service", () => {
  let vhost: TestVhost;
  let db: TestDatabase;
  let pool: pg.Pool;
  let admin: CommandAdmin;
  let svc: StartedService<CommandService>;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;

  const env = () => ({ AMQP_URL: vhost.url, DATABASE_URL: db.url, COMMAND_SWEEP_S: "3600" });
  const stateOf = async (id: string) =>
    (
      await db.query<{ state: string; error: string | null }>(
        "SELECT state, error FROM commands WHERE command_id = $1",
        [id],
      )
    )[0];
  const waitState = (id: string, state: string) =>
    waitFor(async () => (await stateOf(id))?.state === state, { message: `command ${id} never became ${state}` });
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    metricValue(await metricsText(svc.registry), name, labels);
  const ack = (sensorId: string, commandId: string, status: "ok" | "error", error?: string) => ({
    key: `sensor_${sensorId}.commands.ack`,
    body: {
      msg_id: randomUUID(),
      sensor_id: sensorId,
      received_at: new Date().toISOString(),
      ack: { command_id: commandId, status, ...(error ? { error } : {}) },
    },
  });
  const delivered = (c: CommandRecord) => ({
    key: `sensor_${c.sensor_id}.commands.delivered`,
    body: {
      msg_id: randomUUID(),
      sensor_id: c.sensor_id,
      command_id: c.command_id,
      gateway_id: "gw-1",
      delivered_at: new Date().toISOString(),
    },
  });
  const presence = (sensorId: string, state: "online" | "offline" | "asleep") => ({
    key: `sensor_${sensorId}.presence`,
    body: { sensor_id: sensorId, state, previous: "offline", ts: new Date().toISOString() },
  });
  const issue = async (sensorId: string, name: CommandName = "sleep", ttlS = 300) =>
    (await admin.issue([sensorId], { name, args: {}, ttlS }))[0] as CommandRecord;
  /** Command payloads sent so far (and taken off the test queue). */
  const sent = async () => (await vhost.readQueue(OUTBOUND)).map((m) => JSON.parse(m.content.toString()));

  beforeAll(async () => {
    vhost = await createTestVhost("commands");
    db = await createTestDatabase("commands");
    svc = await startService(commandService, env());
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    // A client still closing when teardown's DROP DATABASE … WITH (FORCE) terminates it reports the termination as a
    // pool 'error' event; with no listener that is an uncaught exception (seen once in a full run).
    pool.on("error", () => {});
    admin = new CommandAdmin(pool);
    conn = await amqp.connect(vhost.url);
    ch = await conn.createChannel();
    await ch.assertQueue(OUTBOUND, { durable: true });
    for (const name of COMMAND_NAMES) await ch.bindQueue(OUTBOUND, "sensor_streaming", `*.commands.${name}`);
  }, 60_000);

  afterAll(async () => {
    await conn?.close();
    await svc?.stop();
    await pool?.end();
    await db?.drop();
    await vhost?.drop();
  });

  it("marks a command sent on a gateway's delivery report, acked on the sensor's ok, and times the ack", async () => {
    const c = await issue("s-ok");
    expect(c.state).toBe("queued");
    await publishDirect(vhost.url, [delivered(c)]);
    await waitState(c.command_id, "sent");
    await publishDirect(vhost.url, [ack("s-ok", c.command_id, "ok")]);
    await waitState(c.command_id, "acked");
    expect(await metric("sensorstream_commands_settled_total", { name: "sleep", state: "acked" })).toBe(1);
    expect(await metric("sensorstream_commands_ack_seconds_count", { name: "sleep" })).toBe(1);
    // A late delivery report does not take an acked command back.
    await publishDirect(vhost.url, [delivered(c)]);
    await waitFor(async () => (await metric("sensorstream_consumer_messages_total", { consumer: "command" })) >= 3, {
      message: "the late report was never handled",
    });
    expect((await stateOf(c.command_id))?.state).toBe("acked");
  });

  it("marks a command failed with the sensor's error", async () => {
    const c = await issue("s-fail", "change_sample_frequency");
    await publishDirect(vhost.url, [ack("s-fail", c.command_id, "error", "rate not supported")]);
    await waitState(c.command_id, "failed");
    expect(await stateOf(c.command_id)).toStrictEqual({ state: "failed", error: "rate not supported" });
  });

  it("counts duplicate, unknown, other-sensor and malformed acks and changes nothing", async () => {
    const mine = await issue("s-bad");
    const theirs = await issue("s-other");
    await publishDirect(vhost.url, [ack("s-bad", mine.command_id, "ok")]);
    await waitState(mine.command_id, "acked");
    await publishDirect(vhost.url, [
      ack("s-bad", mine.command_id, "error", "late"),
      ack("s-bad", randomUUID(), "ok"),
      ack("s-bad", theirs.command_id, "ok"),
      { key: "sensor_s-bad.commands.ack", body: "{not json" },
    ]);
    const bad = (reason: string) => metric("sensorstream_commands_bad_acks_total", { reason });
    await waitFor(async () => (await bad("malformed")) === 1 && (await bad("other_sensor")) === 1, {
      message: "the bad acks were never counted",
    });
    expect(await bad("duplicate")).toBe(1);
    expect(await bad("unknown_command")).toBe(1);
    expect(await stateOf(mine.command_id)).toStrictEqual({ state: "acked", error: null });
    expect((await stateOf(theirs.command_id))?.state).toBe("queued");
    const dead = await vhost.readQueue("dead_letters");
    expect(dead.map((d) => d.routingKey)).toStrictEqual(["sensor_s-bad.commands.ack"]);
  });

  it("sends a sensor's pending commands, oldest first, when it comes online, and none that expired", async () => {
    await sent(); // earlier tests sent nothing, but start from an empty queue regardless
    const expiredAdmin = new CommandAdmin(pool, () => Date.now() - 600_000);
    const [old] = await expiredAdmin.issue(["s-back"], { name: "awake", args: {}, ttlS: 60 });
    const first = await issue("s-back", "sleep");
    const second = (await admin.issue(["s-back"], { name: "change_sample_frequency", args: { hz: 5 }, ttlS: 300 }))[0];
    expect(await svc.service.sweep()).toBe(1);
    expect((await stateOf(old?.command_id ?? ""))?.state).toBe("expired");
    expect(await metric("sensorstream_commands_settled_total", { name: "awake", state: "expired" })).toBe(1);

    await publishDirect(vhost.url, [presence("s-back", "offline")]);
    await publishDirect(vhost.url, [presence("s-back", "online")]);
    await waitFor(async () => (await vhost.queueDepth(OUTBOUND)) === 2, {
      message: "the pending commands were never sent",
    });
    const got = await sent();
    expect(got.map((m) => m.command_id)).toStrictEqual([first.command_id, second?.command_id]);
    expect(got[1]).toStrictEqual({
      command_id: second?.command_id,
      name: "change_sample_frequency",
      args: { hz: 5 },
      issued_at: second?.issued_at,
      expires_at: second?.expires_at,
    });
  });

  it("resends after a restart only what the sensor has not acked", async () => {
    const done = await issue("s-restart", "sleep");
    const open = await issue("s-restart", "awake");
    await publishDirect(vhost.url, [ack("s-restart", done.command_id, "ok")]);
    await waitState(done.command_id, "acked");
    await svc.stop();
    svc = await startService(commandService, env());
    await publishDirect(vhost.url, [presence("s-restart", "asleep")]);
    await waitFor(async () => (await vhost.queueDepth(OUTBOUND)) >= 1, { message: "nothing was resent" });
    // The presence message is handled once the resend is published: the consumer counts it afterwards.
    await waitFor(
      async () => (await metric("sensorstream_consumer_messages_total", { consumer: "command", outcome: "ok" })) === 1,
      {
        message: "the presence message was never handled",
      },
    );
    expect((await sent()).map((m) => m.command_id)).toStrictEqual([open.command_id]);
  });
  it("has the registry set the reported mode and rate from ok acks, so in_sync follows", async () => {
    const registry = await startService(registryService, {
      AMQP_URL: vhost.url,
      DATABASE_URL: db.url,
      REGISTRATION: "manual",
    });
    try {
      await db.query("INSERT INTO sensors (id, desired_mode, desired_sample_hz) VALUES ('s-sync', 'asleep', 7)");
      const sleep = await issue("s-sync", "sleep");
      const rate = (await admin.issue(["s-sync"], { name: "change_sample_frequency", args: { hz: 7 }, ttlS: 300 }))[0];
      const failed = (await admin.issue(["s-sync"], { name: "awake", args: {}, ttlS: 300 }))[0];
      await publishDirect(vhost.url, [
        ack("s-sync", sleep.command_id, "ok"),
        ack("s-sync", rate?.command_id ?? "", "ok"),
        ack("s-sync", failed?.command_id ?? "", "error", "no"),
      ]);
      const reported = async () =>
        (
          await db.query<{ m: string | null; hz: number | null }>(
            "SELECT reported_mode AS m, reported_sample_hz AS hz FROM sensors WHERE id = 's-sync'",
          )
        )[0];
      await waitFor(async () => (await reported())?.hz === 7, { message: "the reported rate was never set" });
      expect(await reported()).toStrictEqual({ m: "asleep", hz: 7 });
    } finally {
      await registry.stop();
    }
  });
  it("tells a sensor back online with a stale mode or rate what it needs to converge, once per missing setting", async () => {
    await sent();
    await db.query(
      "INSERT INTO sensors (id, desired_mode, reported_mode, desired_sample_hz, reported_sample_hz) VALUES ('s-stale', 'asleep', 'awake', 4, 4)",
    );
    await publishDirect(vhost.url, [presence("s-stale", "online")]);
    await waitFor(async () => (await vhost.queueDepth(OUTBOUND)) === 1, { message: "no converging command was sent" });
    const [cmd] = await sent();
    expect(cmd).toMatchObject({ name: "sleep", args: {} });
    const rows = await db.query<{ name: string; state: string }>(
      "SELECT name, state FROM commands WHERE sensor_id = 's-stale'",
    );
    expect(rows).toStrictEqual([{ name: "sleep", state: "queued" }]);
    // Online again before it acked: the pending sleep is resent, no second one is issued.
    await publishDirect(vhost.url, [presence("s-stale", "online")]);
    await waitFor(async () => (await vhost.queueDepth(OUTBOUND)) === 1, {
      message: "the pending command was not resent",
    });
    expect((await sent()).map((c) => c.command_id)).toStrictEqual([cmd.command_id]);
    expect(await metric("sensorstream_commands_converge_total", { name: "sleep" })).toBe(1);
  });
  it("gives each of a burst of sensors coming online its own pending commands and convergence, in order", async () => {
    await sent();
    // 300 sensors (the lookups of a burst share queries): every third has two pending commands, every fifth a stale
    // rate, the rest nothing; one sensor is not registered at all.
    const ids = Array.from({ length: 300 }, (_, i) => `s-burst-${i}`);
    await db.query(
      "INSERT INTO sensors (id, desired_sample_hz, reported_sample_hz) SELECT id, CASE WHEN n % 5 = 0 THEN 9 END, 1 FROM unnest($1::text[]) WITH ORDINALITY AS u(id, n)",
      [ids.slice(0, 299)],
    );
    const expected = new Map<string, string[]>();
    for (const [i, id] of ids.entries()) {
      if (i % 3 === 0) {
        const a = await issue(id, "sleep");
        const b = await issue(id, "awake");
        expected.set(id, [`sleep:${a.command_id}`, `awake:${b.command_id}`]);
      }
    }
    await publishDirect(
      vhost.url,
      ids.map((id) => presence(id, "online")),
    );
    const converging = ids.filter((_, i) => (i + 1) % 5 === 0 && i < 299).length;
    const total = expected.size * 2 + converging;
    await waitFor(async () => (await vhost.queueDepth(OUTBOUND)) === total, {
      message: `not all ${total} commands of the burst were sent`,
    });
    const got = new Map<string, string[]>();
    const rows = await db.query<{ command_id: string; sensor_id: string }>(
      "SELECT command_id, sensor_id FROM commands WHERE sensor_id LIKE 's-burst-%'",
    );
    const owner = new Map(rows.map((r) => [r.command_id, r.sensor_id]));
    for (const m of await sent()) {
      const sensor = owner.get(m.command_id) ?? "?";
      got.set(sensor, [
        ...(got.get(sensor) ?? []),
        m.name === "change_sample_frequency" ? `rate:${m.args.hz}` : `${m.name}:${m.command_id}`,
      ]);
    }
    for (const [i, id] of ids.entries()) {
      const want = [...(expected.get(id) ?? []), ...((i + 1) % 5 === 0 && i < 299 ? ["rate:9"] : [])];
      expect(got.get(id) ?? [], id).toStrictEqual(want);
    }
  });
  it("publishes again a queued command of a reachable sensor whose last publish is older than COMMAND_RETRY_S", async () => {
    await sent();
    await db.query("INSERT INTO sensors (id, presence) VALUES ('s-lost', 'online'), ('s-away', 'offline')");
    const lost = await issue("s-lost", "awake");
    await issue("s-away", "awake");
    await db.query(
      "UPDATE commands SET published_at = now() - interval '1 hour' WHERE sensor_id IN ('s-lost', 's-away')",
    );
    await svc.service.sweep();
    expect((await sent()).map((c) => c.command_id)).toStrictEqual([lost.command_id]);
    // Just published: the next sweep leaves it alone.
    await svc.service.sweep();
    expect(await sent()).toStrictEqual([]);
  });
});
