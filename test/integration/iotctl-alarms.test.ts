/**
 * iotctl alarms against the real HTTP API (PostgreSQL behind it), and `alarms watch` against a real gateway:
 * what it prints is what the API holds and what the bus carried.
 */
import { randomUUID } from "node:crypto";
import { type Gateway, gatewayService } from "@sensorstream/gateway";
import { EXIT } from "@sensorstream/iotctl";
import { listen } from "@sensorstream/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayEnv, publishDirect } from "../e2e/harness.js";
import { startTestApi, type TestApi } from "../fixtures/api.js";
import { iotctl, startIotctl } from "../fixtures/iotctl.js";
import { type StartedService, startService } from "../fixtures/services.js";
import { waitFor } from "../fixtures/wait.js";

const TOKEN = "iotctl-alarms-token-0123456789";

describe("iotctl alarms", () => {
  let t: TestApi;
  let env: Record<string, string>;
  let gateway: StartedService<Gateway>;

  beforeAll(async () => {
    t = await startTestApi("iotctl_alarms", TOKEN);
    env = { IOTCTL_API: `http://127.0.0.1:${await listen(t.app, 0, "127.0.0.1")}`, IOTCTL_TOKEN: TOKEN };
    gateway = await startService(gatewayService, await gatewayEnv(t.vhost.url, t.db.url));
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await t?.close();
  });

  it("rules create | list | delete", async () => {
    const created = await iotctl(
      [
        "alarms",
        "rules",
        "create",
        "--name",
        "hot",
        "--metric",
        "temp_c",
        "--op",
        ">",
        "--threshold",
        "80",
        "--clear",
        "75",
        "--for",
        "10",
        "--severity",
        "critical",
        "--type",
        "pump",
        "-o",
        "json",
      ],
      env,
    );
    expect(created.code).toBe(EXIT.ok);
    const rule = JSON.parse(created.stdout) as { rule_id: string };
    expect(rule).toMatchObject({
      kind: "threshold",
      threshold: 80,
      clear_threshold: 75,
      for_s: 10,
      scope: { type: "pump" },
    });
    const quiet = await iotctl(
      [
        "alarms",
        "rules",
        "create",
        "--name",
        "quiet",
        "--kind",
        "no_data",
        "--for",
        "60",
        "--sensor",
        "a",
        "--sensor",
        "b",
        "-o",
        "json",
      ],
      env,
    );
    expect(JSON.parse(quiet.stdout)).toMatchObject({ kind: "no_data", for_s: 60, scope: { sensor_ids: ["a", "b"] } });

    const list = await iotctl(["alarms", "rules", "list", "-o", "json"], env);
    expect((JSON.parse(list.stdout) as { name: string }[]).map((r) => r.name).sort()).toEqual(["hot", "quiet"]);
    const tableOut = await iotctl(["alarms", "rules", "list", "-o", "table"], env);
    expect(tableOut.stdout).toContain("temp_c > 80 for 10s");

    const del = await iotctl(["alarms", "rules", "delete", rule.rule_id], env);
    expect(del.code).toBe(EXIT.ok);
    const again = await iotctl(["alarms", "rules", "delete", rule.rule_id], env);
    expect(again.code).toBe(EXIT.api);
    expect(again.stderr).toContain("alarm_rule_not_found");
  });

  it("refuses a bad rule: a usage error before sending, or the API's 400 naming the field", async () => {
    const noScope = await iotctl(
      ["alarms", "rules", "create", "--name", "x", "--metric", "t", "--op", ">", "--threshold", "1"],
      env,
    );
    expect(noScope.code).toBe(EXIT.usage);
    expect(noScope.stderr).toContain("scope");
    const bad = await iotctl(
      [
        "alarms",
        "rules",
        "create",
        "--name",
        "x",
        "--metric",
        "t",
        "--op",
        ">",
        "--threshold",
        "1",
        "--clear",
        "2",
        "--all",
      ],
      env,
    );
    expect(bad.code).toBe(EXIT.api);
    expect(bad.stderr).toContain("body.clear_threshold");
  });

  it("alarms list and ack", async () => {
    const ruleId = randomUUID();
    const alarmId = randomUUID();
    await t.pool.query(
      `INSERT INTO alarms (alarm_id, rule_id, sensor_id, metric, severity, raised_at, value, threshold)
       VALUES ($1, $2, 'pump-9', 'temp_c', 'critical', now(), 91, 80)`,
      [alarmId, ruleId],
    );
    const list = await iotctl(["alarms", "list", "--severity", "critical", "-o", "json"], env);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ alarm_id: alarmId, state: "raised" })]);
    const ack = await iotctl(["alarms", "ack", alarmId, "--by", "anna", "-o", "json"], env);
    expect(ack.code).toBe(EXIT.ok);
    expect(JSON.parse(ack.stdout)).toMatchObject({ state: "acknowledged", acknowledged_by: "anna" });
    const none = await iotctl(["alarms", "list", "--state", "cleared", "-o", "json"], env);
    expect(JSON.parse(none.stdout)).toEqual([]);
  });

  it("alarms watch prints the alerts a gateway forwards, one JSON object per line", async () => {
    const mqttUrl = `mqtt://127.0.0.1:${gateway.service.mqttPort}`;
    const w = startIotctl(["alarms", "watch", "--mqtt", mqttUrl, "--count", "2", "-o", "json"], env);
    await waitFor(() => w.err.join("").includes("watching alerts/#"), { message: "watch never subscribed" });
    const alert = (sensor: string, state: string) => ({
      alarm_id: randomUUID(),
      rule_id: randomUUID(),
      sensor_id: sensor,
      metric: "temp_c",
      value: 91,
      threshold: 80,
      severity: "critical",
      state,
      ts: new Date().toISOString(),
    });
    const sent = [alert("pump-1", "raised"), alert("pump-2", "cleared")];
    await publishDirect(
      t.vhost.url,
      sent.map((body) => ({ key: `sensor_${body.sensor_id}.alarms.trigger`, body })),
    );
    expect(await w.done).toBe(EXIT.ok);
    expect(
      w.out
        .join("")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual(sent);
  });
});
