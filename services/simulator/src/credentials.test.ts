import { describe, expect, it } from "vitest";
import { parseCredentials } from "./credentials.js";

const ok = (text: string) => {
  const r = parseCredentials(text);
  if ("problems" in r) throw new Error(r.problems.join("; "));
  return [...r.credentials];
};
const problems = (text: string) => {
  const r = parseCredentials(text);
  if (!("problems" in r)) throw new Error("expected problems");
  return r.problems;
};

describe("parseCredentials", () => {
  it("reads CSV with an optional header, comments and blank lines, in file order", () => {
    expect(ok("id,token\n# fleet A\npump-2, t2\r\n\npump-1,t1\n")).toStrictEqual([
      ["pump-2", "t2"],
      ["pump-1", "t1"],
    ]);
    expect(ok("a,1")).toStrictEqual([["a", "1"]]);
  });

  it("reads JSON lists (id or the API's username) and maps", () => {
    expect(ok('[{"id":"a","token":"1"},{"username":"b","token":"2","sensor":{}}]')).toStrictEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
    expect(ok('{"a":"1","b":"2"}')).toStrictEqual([
      ["a", "1"],
      ["b", "2"],
    ]);
  });

  it("reports every problem at once, with where it is", () => {
    expect(problems("a,1\nb\nc,3,extra\nsensors/x,4\na,5")).toStrictEqual([
      "line 2: expected id,token",
      "line 3: expected id,token",
      "'sensors/x' is not a sensor id",
      "'a' appears twice",
    ]);
    expect(problems('[{"id":"a"}]')).toStrictEqual(['entry 1: needs "id" (or "username") and "token" strings']);
    expect(problems('{"a":""}')).toStrictEqual(["'a': the token must be a non-empty string"]);
    expect(problems("[oops")[0]).toMatch(/^not valid JSON/);
    expect(problems("# nothing\n")).toStrictEqual(["no credentials in the file"]);
  });
});
