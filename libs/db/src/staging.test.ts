import { describe, expect, it } from "vitest";
import { type Pool, stagedTransaction } from "./index.js";

type FakeClient = {
  id: number;
  query(sql: string): Promise<{ rows: []; rowCount: number }>;
  release(b?: boolean): void;
};

/**
 * A pool that hands out the same client objects again, as pg's does (a released client goes back to
 * the idle list unless released as broken). Every statement is logged as `<client>: <sql>`; `fail`
 * decides which one throws.
 */
function fakePool(fail: (sql: string) => Error | undefined = () => undefined) {
  const log: string[] = [];
  const released: string[] = [];
  const idle: FakeClient[] = [];
  let created = 0;
  const newClient = (id: number): FakeClient => ({
    id,
    async query(sql) {
      log.push(`${id}: ${sql}`);
      const err = fail(sql);
      if (err) throw err;
      return { rows: [], rowCount: 1 };
    },
    release(broken) {
      released.push(`${id}${broken ? " broken" : ""}`);
      if (!broken) idle.push(this);
    },
  });
  const pool = { connect: async () => idle.shift() ?? newClient(created++) };
  return { pool: pool as unknown as Pool, log, released };
}

const STAGING = "CREATE TEMP TABLE s (a int) ON COMMIT DELETE ROWS";
const dataError = Object.assign(new Error("invalid input syntax for type json"), { code: "22P02" });
const connectionLost = new Error("Connection terminated unexpectedly");

describe("stagedTransaction", () => {
  it("creates the staging tables once per connection and runs each batch in its own transaction", async () => {
    const { pool, log, released } = fakePool();
    const tx = stagedTransaction(pool, STAGING);
    expect(await tx(async (c) => (await c.query("INSERT 1")).rowCount)).toBe(1);
    expect(await tx(async (c) => (await c.query("INSERT 2")).rowCount)).toBe(1);
    expect(log).toStrictEqual([
      `0: ${STAGING}`,
      "0: BEGIN",
      "0: INSERT 1",
      "0: COMMIT",
      "0: BEGIN",
      "0: INSERT 2",
      "0: COMMIT",
    ]);
    expect(released).toStrictEqual(["0", "0"]);
  });

  it("rolls back a data error and keeps the connection, staging tables and all", async () => {
    const { pool, log, released } = fakePool((sql) => (sql === "INSERT bad" ? dataError : undefined));
    const tx = stagedTransaction(pool, STAGING);
    await expect(tx((c) => c.query("INSERT bad"))).rejects.toBe(dataError);
    await tx((c) => c.query("INSERT good"));
    expect(log).toStrictEqual([
      `0: ${STAGING}`,
      "0: BEGIN",
      "0: INSERT bad",
      "0: ROLLBACK",
      "0: BEGIN",
      "0: INSERT good",
      "0: COMMIT",
    ]);
    expect(released).toStrictEqual(["0", "0"]);
  });

  it("discards the connection after any other error, and prepares its replacement", async () => {
    let down = true;
    const { pool, log, released } = fakePool((sql) => (sql === "INSERT" && down ? connectionLost : undefined));
    const tx = stagedTransaction(pool, STAGING);
    await expect(tx((c) => c.query("INSERT"))).rejects.toBe(connectionLost);
    down = false;
    await tx((c) => c.query("INSERT"));
    expect(released).toStrictEqual(["0 broken", "1"]);
    expect(log.filter((l) => l.endsWith(STAGING))).toStrictEqual([`0: ${STAGING}`, `1: ${STAGING}`]);
  });

  it("discards the connection when the rollback itself fails, even after a data error", async () => {
    const { pool, released } = fakePool((sql) =>
      sql === "INSERT bad" ? dataError : sql === "ROLLBACK" ? connectionLost : undefined,
    );
    const tx = stagedTransaction(pool, STAGING);
    await expect(tx((c) => c.query("INSERT bad"))).rejects.toBe(dataError);
    expect(released).toStrictEqual(["0 broken"]);
  });

  it("retries the staging DDL on the next use when it failed", async () => {
    let fails = 1;
    const { pool, log } = fakePool((sql) => (sql === STAGING && fails-- > 0 ? dataError : undefined));
    const tx = stagedTransaction(pool, STAGING);
    await expect(tx(async () => 1)).rejects.toBe(dataError);
    expect(await tx(async () => 2)).toBe(2);
    expect(log.filter((l) => l.endsWith(STAGING))).toHaveLength(2);
  });
});
