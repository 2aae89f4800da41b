import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../fixtures/api.js";

const TOKEN = "test-api-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };
type ErrorBody = { error: { code: string; message: string; details?: Array<{ path: string; message: string }> } };

describe("HTTP API: alarm rules and alarms", () => {
  let t: TestApi;

  const call = async (method: "GET" | "POST" | "PATCH" | "DELETE", url: string, body?: unknown) => {
    const res = await t.app.inject({
      method,
      url,
      headers: auth,
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return { status: res.statusCode, body: (res.body ? res.json() : undefined) as Record<string, unknown> };
  };
  const rule = {
    name: "hot",
    metric: "temp_c",
    op: ">",
    threshold: 80,
    clear_threshold: 75,
    for_s: 10,
    severity: "critical",
    scope: { type: "pump" },
  };
  /** An alarm as the alarm service writes it (the API only reads and acknowledges them). */
  const seedAlarm = async (ruleId: string, sensorId: string, state: "raised" | "cleared", raisedAt: string) => {
    const id = randomUUID();
    await t.pool.query(
      `INSERT INTO alarms (alarm_id, rule_id, sensor_id, metric, severity, state, raised_at, value, threshold, cleared_at)
       VALUES ($1, $2, $3, 'temp_c', 'critical', $4, $5, 91, 80, CASE WHEN $4 = 'cleared' THEN now() END)`,
      [id, ruleId, sensorId, state, raisedAt],
    );
    return id;
  };
  const outbox = async () =>
    (
      await t.pool.query<{ alert: { state: string; alarm_id: string } }>("SELECT alert FROM alarm_outbox ORDER BY id")
    ).rows.map((r) => r.alert);

  beforeAll(async () => {
    t = await startTestApi("api_alarms", TOKEN);
    await t.app.ready();
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it("creates, reads, lists, updates, disables and deletes a rule", async () => {
    const created = await call("POST", "/api/alarm-rules", rule);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...rule, kind: "threshold", enabled: true });
    const id = created.body.rule_id as string;
    expect((await call("GET", `/api/alarm-rules/${id}`)).body).toMatchObject({ rule_id: id, threshold: 80 });

    const outside = await call("POST", "/api/alarm-rules", {
      name: "band",
      metric: "v",
      op: "outside",
      low: 1,
      high: 9,
      scope: { all: true },
    });
    expect(outside.body).toMatchObject({ clear_low: 1, clear_high: 9, severity: "warning", for_s: 0 });
    const noData = await call("POST", "/api/alarm-rules", {
      name: "quiet",
      kind: "no_data",
      for_s: 30,
      scope: { sensor_ids: ["a", "b", "a"] },
    });
    expect(noData.body).toMatchObject({ kind: "no_data", for_s: 30, scope: { sensor_ids: ["a", "b"] } });

    const page1 = await call("GET", "/api/alarm-rules?limit=2");
    const page2 = await call("GET", `/api/alarm-rules?limit=2&after=${page1.body.next_after}`);
    const ids = [...(page1.body.items as { rule_id: string }[]), ...(page2.body.items as { rule_id: string }[])];
    expect(ids.map((r) => r.rule_id).sort()).toEqual([id, outside.body.rule_id, noData.body.rule_id].sort());
    expect(page2.body.next_after).toBeNull();

    const patched = await call("PATCH", `/api/alarm-rules/${id}`, { threshold: 85, clear_threshold: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ threshold: 85, clear_threshold: 85, name: "hot" });
    const badPatch = await call("PATCH", `/api/alarm-rules/${id}`, { clear_threshold: 90 });
    expect(badPatch.status).toBe(400);
    expect((badPatch.body as ErrorBody).error.details?.[0]?.path).toBe("body.clear_threshold");

    // A change that leaves a sensor out of the rule's scope clears its open alarm (it would never be evaluated again).
    const left = await seedAlarm(id, "pump-9", "raised", "2026-11-29T09:00:00Z");
    const kept = await seedAlarm(id, "pump-8", "raised", "2026-11-29T09:00:00Z");
    const rescoped = await call("PATCH", `/api/alarm-rules/${id}`, { scope: { sensor_ids: ["pump-8"] } });
    expect(rescoped.body).toMatchObject({ scope: { sensor_ids: ["pump-8"] } });
    expect((await call("GET", `/api/alarms/${left}`)).body).toMatchObject({
      state: "cleared",
      clear_reason: "rule_changed",
    });
    expect((await call("GET", `/api/alarms/${kept}`)).body).toMatchObject({ state: "raised" });
    await call("PATCH", `/api/alarm-rules/${id}`, { scope: { type: "pump" } });
    expect((await call("GET", `/api/alarms/${kept}`)).body).toMatchObject({
      state: "cleared",
      clear_reason: "rule_changed",
    });

    const open = await seedAlarm(id, "pump-1", "raised", "2026-11-29T10:00:00Z");
    const disabled = await call("PATCH", `/api/alarm-rules/${id}`, { enabled: false });
    expect(disabled.body).toMatchObject({ enabled: false });
    expect((await call("GET", `/api/alarms/${open}`)).body).toMatchObject({
      state: "cleared",
      clear_reason: "rule_disabled",
    });
    expect((await outbox()).filter((a) => a.alarm_id === open).map((a) => a.state)).toEqual(["cleared"]);

    expect((await call("DELETE", `/api/alarm-rules/${id}`)).status).toBe(204);
    expect((await call("GET", `/api/alarm-rules/${id}`)).body).toMatchObject({
      error: { code: "alarm_rule_not_found" },
    });
    expect((await call("DELETE", `/api/alarm-rules/${id}`)).status).toBe(404);
    // the history stays
    expect((await call("GET", `/api/alarms/${open}`)).status).toBe(200);
  });

  it.each([
    [{ ...rule, op: "~" }, "body.op"],
    [{ ...rule, threshold: undefined }, "body.threshold"],
    [{ ...rule, threshold: "high" }, "body.threshold"],
    [{ ...rule, metric: undefined }, "body.metric"],
    [{ ...rule, metric: "has space" }, "body.metric"],
    [{ ...rule, clear_threshold: 81 }, "body.clear_threshold"],
    [{ ...rule, op: "<", clear_threshold: 79 }, "body.clear_threshold"],
    [{ ...rule, severity: "fatal" }, "body.severity"],
    [{ ...rule, for_s: -1 }, "body.for_s"],
    [{ ...rule, scope: {} }, "body.scope"],
    [{ ...rule, scope: { all: true, type: "pump" } }, "body.scope"],
    [{ ...rule, scope: { sensor_ids: ["bad.id"] } }, "body.scope.sensor_ids.0"],
    [{ ...rule, op: "outside", threshold: undefined, clear_threshold: undefined, low: 5 }, "body.high"],
    [{ ...rule, op: "outside", threshold: undefined, clear_threshold: undefined, low: 5, high: 1 }, "body.high"],
    [{ ...rule, low: 5 }, "body.low"],
    [{ name: "q", kind: "no_data", scope: { all: true } }, "body.for_s"],
    [{ name: "q", kind: "no_data", for_s: 5, metric: "t", scope: { all: true } }, "body.metric"],
    [{ ...rule, name: "" }, "body.name"],
    [{ ...rule, colour: "red" }, "body"],
  ])("refuses an invalid rule with a 400 naming the field (%#)", async (body, path) => {
    const r = await call("POST", "/api/alarm-rules", body);
    expect(r.status).toBe(400);
    const e = (r.body as ErrorBody).error;
    expect(e.code).toBe("invalid_body");
    expect(e.details?.map((d) => d.path)).toContain(path);
    expect(e.message).toContain(path);
  });

  it("lists alarms by state, sensor, severity and rule, newest first, in pages; acknowledges an open one", async () => {
    const ruleId = (await call("POST", "/api/alarm-rules", { ...rule, name: "list" })).body.rule_id as string;
    const a1 = await seedAlarm(ruleId, "pump-1", "cleared", "2026-11-29T10:00:00Z");
    const a2 = await seedAlarm(ruleId, "pump-1", "raised", "2026-11-29T11:00:00Z");
    const a3 = await seedAlarm(ruleId, "pump-2", "raised", "2026-11-29T12:00:00Z");
    const ids = async (q: string) =>
      ((await call("GET", `/api/alarms?rule_id=${ruleId}&${q}`)).body.items as { alarm_id: string }[]).map(
        (a) => a.alarm_id,
      );
    expect(await ids("state=open")).toEqual([a3, a2]);
    expect(await ids("")).toEqual([a3, a2]);
    expect(await ids("state=cleared")).toEqual([a1]);
    expect(await ids("state=all&sensor_id=pump-1")).toEqual([a2, a1]);
    expect(await ids("state=all&severity=info")).toEqual([]);
    const p1 = await call("GET", `/api/alarms?rule_id=${ruleId}&state=all&limit=2`);
    const p2 = await call("GET", `/api/alarms?rule_id=${ruleId}&state=all&limit=2&before=${p1.body.next_before}`);
    expect((p2.body.items as { alarm_id: string }[]).map((a) => a.alarm_id)).toEqual([a1]);
    expect((await call("GET", "/api/alarms?state=closed")).status).toBe(400);

    const acked = await call("POST", `/api/alarms/${a2}/ack?by=ops-anna`);
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ state: "acknowledged", acknowledged_by: "ops-anna" });
    expect((await call("POST", `/api/alarms/${a2}/ack`)).body).toMatchObject({ acknowledged_by: "ops-anna" });
    expect((await outbox()).filter((a) => a.alarm_id === a2)).toEqual([
      expect.objectContaining({ state: "acknowledged", sensor_id: "pump-1", rule_id: ruleId, severity: "critical" }),
    ]);
    expect(await ids("state=open")).toEqual([a3, a2]);
    expect((await call("POST", `/api/alarms/${a1}/ack`)).body).toMatchObject({ error: { code: "alarm_cleared" } });
    expect((await call("POST", `/api/alarms/${randomUUID()}/ack`)).status).toBe(404);
  });
});
