import type { CommandRecord } from "@sensorstream/commands";
import { describe, expect, it } from "vitest";
import { commandsToConverge } from "./converge.js";

const pending = (name: CommandRecord["name"]) => ({ name }) as CommandRecord;
const settings = { desiredMode: null, reportedMode: null, desiredHz: null, reportedHz: null } as const;

describe("commandsToConverge", () => {
  it("asks for nothing when nothing is desired or everything agrees", () => {
    expect(commandsToConverge(settings, [])).toStrictEqual([]);
    expect(
      commandsToConverge({ desiredMode: "awake", reportedMode: "awake", desiredHz: 2, reportedHz: 2 }, []),
    ).toStrictEqual([]);
  });

  it("asks for the desired mode and rate the sensor does not report", () => {
    expect(
      commandsToConverge({ desiredMode: "asleep", reportedMode: "awake", desiredHz: 5, reportedHz: 1 }, []),
    ).toStrictEqual([
      { name: "sleep", args: {} },
      { name: "change_sample_frequency", args: { hz: 5 } },
    ]);
    expect(commandsToConverge({ ...settings, desiredMode: "awake" }, [])).toStrictEqual([{ name: "awake", args: {} }]);
  });

  it("leaves a setting to the pending command of its kind", () => {
    const s = { desiredMode: "asleep", reportedMode: "awake", desiredHz: 5, reportedHz: 1 } as const;
    expect(commandsToConverge(s, [pending("awake")])).toStrictEqual([
      { name: "change_sample_frequency", args: { hz: 5 } },
    ]);
    expect(commandsToConverge(s, [pending("change_sample_frequency")])).toStrictEqual([{ name: "sleep", args: {} }]);
  });
});
