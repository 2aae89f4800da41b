import { describe, expect, it } from "vitest";
import { bearerToken, decideAccess, sameSecret } from "./access.js";

const token = "s3cret-token-0123456789";

describe("decideAccess", () => {
  it("lets a write through only with the configured bearer token", () => {
    const policy = { token, readAccess: "token" } as const;
    expect(decideAccess(policy, "write", `Bearer ${token}`)).toEqual({ ok: true });
    expect(decideAccess(policy, "write", `bearer ${token}`)).toEqual({ ok: true });
    expect(decideAccess(policy, "write", undefined)).toMatchObject({
      ok: false,
      status: 401,
      code: "unauthorized",
      message: expect.stringContaining("Authorization: Bearer <API_TOKEN>"),
    });
    expect(decideAccess(policy, "write", "Bearer wrong")).toMatchObject({ status: 401, code: "unauthorized" });
    expect(decideAccess(policy, "write", `Basic ${token}`)).toMatchObject({ status: 401 });
  });

  it("opens reads only when readAccess is open", () => {
    expect(decideAccess({ token, readAccess: "open" }, "read", undefined)).toEqual({ ok: true });
    expect(decideAccess({ token, readAccess: "token" }, "read", undefined)).toMatchObject({ status: 401 });
    expect(decideAccess({ token, readAccess: "token" }, "read", `Bearer ${token}`)).toEqual({ ok: true });
    expect(decideAccess({ token, readAccess: "open" }, "write", undefined)).toMatchObject({ status: 401 });
  });

  it("answers 503 saying to set API_TOKEN when a token is needed but none is configured", () => {
    const write = decideAccess({ token: undefined, readAccess: "open" }, "write", "Bearer anything");
    expect(write).toMatchObject({ ok: false, status: 503, code: "api_token_not_configured" });
    if (!write.ok) expect(write.message).toContain("set API_TOKEN");
    expect(decideAccess({ token: undefined, readAccess: "open" }, "read", undefined)).toEqual({ ok: true });
    expect(decideAccess({ token: undefined, readAccess: "token" }, "read", undefined)).toMatchObject({ status: 503 });
  });
});

describe("bearerToken / sameSecret", () => {
  it("reads the token of a Bearer header", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("BEARER  abc ")).toBe("abc");
    expect(bearerToken("Bearer")).toBeUndefined();
    expect(bearerToken("Bearer a b")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it("compares secrets of any length", () => {
    expect(sameSecret("abc", "abc")).toBe(true);
    expect(sameSecret("abc", "abd")).toBe(false);
    expect(sameSecret("abc", "abcd")).toBe(false);
    expect(sameSecret("", "x")).toBe(false);
  });
});
