/**
 * The per-service RabbitMQ users of k8s/base/rabbitmq/users.yaml on a real broker: the rendered
 * Permission objects are applied to users of a scratch vhost (as the Messaging Topology Operator
 * would), and each service then declares its topology the way it does at start (libs/bus
 * declareTopology), consumes and publishes what it must, and is refused what another service owns.
 * Not proved here: the operator itself (its CRDs, the generated credentials Secret).
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { declareTopology, QUEUES, type QueueSpec } from "@sensorstream/bus";
import { DEAD_LETTER_EXCHANGE, EXCHANGE } from "@sensorstream/contracts";
import amqp, { type ChannelModel, type ConfirmChannel } from "amqplib";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { describeRabbitMq } from "../fixtures/rabbitmq-only.js";
import { asString, at, byKind, dig, KUBECTL_MISSING, kubectlPath, kustomize, type Obj } from "./deploy-support.js";

const run = promisify(execFile);

/** What each service declares at start (services/<svc>/src: the gateway every queue it publishes to). */
const DECLARES: Record<string, readonly QueueSpec[]> = {
  gateway: [QUEUES.measurements, QUEUES.logs, QUEUES.registry],
  "measurement-ingester": [QUEUES.measurements, QUEUES.measurementsPurge],
  "log-ingester": [QUEUES.logs, QUEUES.logsPurge],
  registry: [QUEUES.registry],
  command: [QUEUES.commandAcks],
  alarm: [QUEUES.alarmsInput],
};
/** How each service declares at start: its topology; the API the data owners' purge queues it publishes deletions to. */
const START: Record<string, (ch: ConfirmChannel) => Promise<unknown>> = {
  ...Object.fromEntries(
    Object.entries(DECLARES).map(([svc, queues]) => [svc, (ch: ConfirmChannel) => declareTopology(ch, queues)]),
  ),
  api: (ch) => declareTopology(ch, [QUEUES.measurementsPurge, QUEUES.logsPurge]),
};
/** The queue each service consumes. */
const CONSUMES: Record<string, string | undefined> = {
  gateway: undefined,
  api: undefined,
  "measurement-ingester": QUEUES.measurements.name,
  "log-ingester": QUEUES.logs.name,
  registry: QUEUES.registry.name,
  command: QUEUES.commandAcks.name,
  alarm: QUEUES.alarmsInput.name,
};
/**
 * Queues a service may read without consuming them: RabbitMQ requires read on a queue to declare it
 * with a dead-letter exchange, and the gateway declares every queue it publishes to.
 */
const READS_TO_DECLARE: Record<string, readonly string[]> = {
  gateway: (DECLARES.gateway ?? []).map((q) => q.name),
};
/** Who publishes on the main exchange (devices' messages; presence changes; credential revocations; commands). */
const PUBLISHES = new Set(["gateway", "registry", "api", "command", "alarm"]);

const suffix = randomBytes(3).toString("hex");
const userOf = (svc: string) => `ss_${suffix}_${svc}`;
const PASSWORD = "deploy-test-password";

/** RabbitMQ's rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++ password)). */
function passwordHash(password: string): string {
  const salt = randomBytes(4);
  return Buffer.concat([
    salt,
    createHash("sha256")
      .update(Buffer.concat([salt, Buffer.from(password)]))
      .digest(),
  ]).toString("base64");
}

async function rabbitmqctl(args: string[], input?: string): Promise<void> {
  const child = run("rabbitmqctl", ["--quiet", ...args], { timeout: 60_000 });
  child.child.stdin?.end(input ?? "");
  await child;
}

let vhost: TestVhost;
let permissions: Obj[] = [];
let policies: Obj[] = [];
const connections: ChannelModel[] = [];

async function channelAs(svc: string): Promise<ConfirmChannel> {
  const u = new URL(vhost.url);
  u.username = userOf(svc);
  u.password = PASSWORD;
  const conn = await amqp.connect(u.toString());
  conn.on("error", () => {});
  connections.push(conn);
  const ch = await conn.createConfirmChannel();
  ch.on("error", () => {});
  return ch;
}

/** Runs `work` on a fresh channel of `svc`: "ok", or the broker's refusal (the channel closes). */
async function attempt(svc: string, work: (ch: ConfirmChannel) => Promise<unknown>): Promise<string> {
  const ch = await channelAs(svc);
  const closed = new Promise<string>((resolve) => {
    ch.once("error", (err: Error) => resolve(err.message));
    ch.once("close", () => resolve("closed without an error"));
  });
  try {
    await work(ch);
    return "ok";
  } catch (err) {
    // A refused publish fails its confirm first ("channel closed"); the reason is the channel's error.
    return (err as Error).message.includes("403") ? (err as Error).message : await closed;
  }
}

const publishConfirmed = (ch: ConfirmChannel, exchange: string, key: string) =>
  new Promise<void>((resolve, reject) => {
    ch.publish(exchange, key, Buffer.from("{}"), {}, (err) => (err ? reject(err) : resolve()));
  });

describeRabbitMq("RabbitMQ users per service (users.yaml on a real broker)", () => {
  beforeAll(async () => {
    if (!kubectlPath()) throw new Error(KUBECTL_MISSING);
    const objects = kustomize(at("k8s/overlays/prod"));
    permissions = byKind(objects, "Permission");
    policies = byKind(objects, "Policy");
    vhost = await createTestVhost("deploy_users");
    const name = new URL(vhost.url).pathname.slice(1);
    const services = permissions.map(
      (p) => asString(dig(p, "spec", "userReference", "name"))?.replace(/^sensorstream-/, "") ?? "",
    );
    await rabbitmqctl(
      ["import_definitions"],
      JSON.stringify({
        users: services.map((s) => ({
          name: userOf(s),
          password_hash: passwordHash(PASSWORD),
          hashing_algorithm: "rabbit_password_hashing_sha256",
          tags: [],
        })),
        policies: policies.map((p) => ({
          vhost: decodeURIComponent(name),
          name: asString(dig(p, "spec", "name")),
          pattern: asString(dig(p, "spec", "pattern")),
          "apply-to": asString(dig(p, "spec", "applyTo")),
          priority: dig(p, "spec", "priority") ?? 0,
          definition: dig(p, "spec", "definition"),
        })),
        permissions: permissions.map((p, i) => ({
          user: userOf(services[i] ?? ""),
          vhost: decodeURIComponent(name),
          configure: asString(dig(p, "spec", "permissions", "configure")),
          write: asString(dig(p, "spec", "permissions", "write")),
          read: asString(dig(p, "spec", "permissions", "read")),
        })),
      }),
    );
  }, 120_000);

  afterAll(async () => {
    for (const c of connections) await c.close().catch(() => {});
    await vhost?.drop();
    await Promise.all(Object.keys(START).map((s) => rabbitmqctl(["delete_user", userOf(s)]).catch(() => {})));
  }, 60_000);

  it("has a user for every service that uses RabbitMQ, on the default vhost, with no wildcard permission", () => {
    const users = permissions.map((p) => asString(dig(p, "spec", "userReference", "name"))).sort();
    expect(users).toStrictEqual(
      Object.keys(START)
        .map((s) => `sensorstream-${s}`)
        .sort(),
    );
    for (const p of permissions) {
      expect(dig(p, "spec", "vhost")).toBe("/");
      for (const k of ["configure", "write", "read"])
        expect(asString(dig(p, "spec", "permissions", k))).not.toMatch(/^\.\*$|\^\.\*\$/);
    }
  });

  it("lets each service declare its topology and consume its own queue", async () => {
    // The gateway first: it declares every queue the others consume.
    for (const svc of Object.keys(START)) {
      expect(await attempt(svc, START[svc] ?? (async () => {})), svc).toBe("ok");
      const q = CONSUMES[svc];
      if (q) expect(await attempt(svc, (ch) => ch.consume(q, () => {})), svc).toBe("ok");
      // Consumers and the gateway dead-letter what they refuse; the API has nothing to dead-letter.
      const deadLetter = await attempt(svc, (ch) => publishConfirmed(ch, DEAD_LETTER_EXCHANGE, "x.dead"));
      if (svc in DECLARES) expect(deadLetter, `${svc} dead letters`).toBe("ok");
      else expect(deadLetter, `${svc} dead letters`).toMatch(/ACCESS_REFUSED|403/);
    }
  });

  it("bounds the bytes of the queues of readings.bridged with a policy (their arguments count messages)", async () => {
    expect(policies.map((p) => [dig(p, "spec", "vhost"), dig(p, "spec", "applyTo")])).toStrictEqual([["/", "queues"]]);
    expect(dig(policies[0] ?? {}, "spec", "definition", "max-length-bytes")).toBeGreaterThan(0);
    expect(await attempt("alarm", (ch) => declareTopology(ch, [QUEUES.alarmsInput]))).toBe("ok");
    expect(await attempt("measurement-ingester", (ch) => declareTopology(ch, [QUEUES.measurements]))).toBe("ok");
    const { stdout } = await run("rabbitmqctl", [
      "--quiet",
      "list_queues",
      "-p",
      decodeURIComponent(new URL(vhost.url).pathname.slice(1)),
      "name",
      "policy",
    ]);
    const rows = stdout.split("\n").filter((l) => l.trim() !== "" && l !== "name\tpolicy");
    const applied = new Map(rows.map((l) => l.split("\t") as [string, string]));
    const bounded: string[] = [QUEUES.alarmsInput.name, QUEUES.measurements.name];
    for (const q of bounded) expect(applied.get(q), q).toBe(asString(dig(policies[0] ?? {}, "spec", "name")));
    // No other queue of the platform is touched by it.
    for (const [queue, policy] of applied) if (!bounded.includes(queue)) expect(policy ?? "", queue).toBe("");
  });

  it("refuses a service another service's queue", async () => {
    let refused = 0;
    for (const svc of Object.keys(START)) {
      for (const q of Object.values(CONSUMES)) {
        if (!q || q === CONSUMES[svc] || READS_TO_DECLARE[svc]?.includes(q)) continue;
        expect(await attempt(svc, (ch) => ch.consume(q, () => {})), `${svc} consuming ${q}`).toMatch(
          /ACCESS_REFUSED|403/,
        );
        expect(await attempt(svc, (ch) => ch.purgeQueue(q)), `${svc} purging ${q}`).toMatch(/ACCESS_REFUSED|403/);
        refused += 1;
      }
    }
    expect(refused).toBeGreaterThanOrEqual(6);
  });

  it("lets only the gateway, the registry and the API publish on the main exchange", async () => {
    for (const svc of Object.keys(START)) {
      const got = await attempt(svc, (ch) => publishConfirmed(ch, EXCHANGE, "sensor_x.data"));
      if (PUBLISHES.has(svc)) expect(got, svc).toBe("ok");
      else expect(got, svc).toMatch(/ACCESS_REFUSED|403/);
    }
  });

  it("lets the gateway keep a queue of its own (gateway.<id>) for what it delivers to devices", async () => {
    const got = await attempt("gateway", async (ch) => {
      // As services/gateway's replica queue declares it.
      const q = `gateway.${suffix}`;
      await ch.assertQueue(q, { durable: false, exclusive: true, autoDelete: true });
      await ch.bindQueue(q, EXCHANGE, "*.commands.*");
      await ch.consume(q, () => {}, { noAck: true });
    });
    expect(got).toBe("ok");
    expect(await attempt("registry", (ch) => ch.assertQueue(`gateway.${suffix}x`, { exclusive: true }))).toMatch(
      /ACCESS_REFUSED|403/,
    );
  });
});
