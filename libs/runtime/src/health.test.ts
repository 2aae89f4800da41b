import { describe, expect, it } from "vitest";
import { Health } from "./index.js";

describe("Health", () => {
  it("is ready with no checks", () => {
    expect(new Health().report()).toStrictEqual({ ready: true, checks: {} });
  });

  it("is ready only when every check passes, and reports each", () => {
    const h = new Health();
    let amqp = false;
    h.register("amqp", () => amqp);
    h.register("db", () => true);
    expect(h.report()).toStrictEqual({ ready: false, checks: { amqp: false, db: true } });
    amqp = true;
    expect(h.report()).toStrictEqual({ ready: true, checks: { amqp: true, db: true } });
  });

  it("counts a throwing check as failed and still runs the others", () => {
    const h = new Health();
    let ran = false;
    h.register("broken", () => {
      throw new Error("boom");
    });
    h.register("db", () => {
      ran = true;
      return true;
    });
    expect(h.report()).toStrictEqual({ ready: false, checks: { broken: false, db: true } });
    expect(ran).toBe(true);
  });

  it("replaces a check registered again under the same name", () => {
    const h = new Health();
    h.register("db", () => false);
    h.register("db", () => true);
    expect(h.report()).toStrictEqual({ ready: true, checks: { db: true } });
  });
});
