import { describe, expect, it } from "vitest";
import { z } from "zod";
import { env } from "./config.js";
import { busConfig, serviceProcessConfig } from "./config-fragments.js";
import { ConfigConflictError, mergeConfigSchemas } from "./merge-config.js";

const a = z.object({ ...busConfig, ...serviceProcessConfig, A_ONLY: env.int(1) });
const b = z.object({ ...busConfig, ...serviceProcessConfig, B_ONLY: z.enum(["x", "y"]).default("x") });

describe("mergeConfigSchemas", () => {
  it("reads every variable of every schema; a shared fragment is one variable", () => {
    const merged = mergeConfigSchemas([a, b], {});
    expect(Object.keys(merged.shape).sort()).toStrictEqual(
      [...new Set([...Object.keys(a.shape), ...Object.keys(b.shape)])].sort(),
    );
    expect(merged.shape.AMQP_URL).toBe(busConfig.AMQP_URL);
    expect(merged.parse({ A_ONLY: "7", B_ONLY: "y" })).toMatchObject({ A_ONLY: 7, B_ONLY: "y", HTTP_PORT: 8080 });
  });

  it("refuses two services defining one variable differently", () => {
    const c = z.object({ A_ONLY: env.int(2) });
    expect(() => mergeConfigSchemas([a, b, c], {})).toThrow(ConfigConflictError);
    expect(() => mergeConfigSchemas([a, b, c], {})).toThrow(/A_ONLY/);
  });

  it("lets the merged process override a variable, and its default", () => {
    const c = z.object({ A_ONLY: env.int(2) });
    const merged = mergeConfigSchemas([a, c], { A_ONLY: env.int(3), HTTP_PORT: env.optionalPort() });
    const config = merged.parse({});
    expect(config.A_ONLY).toBe(3);
    expect(config.HTTP_PORT).toBeUndefined();
    expect(merged.parse({ HTTP_PORT: "0" }).HTTP_PORT).toBe(0);
  });
});
