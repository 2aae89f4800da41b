import { deviceTopicFor } from "@sensorstream/contracts";
import { type AckPayload, decideCommand, type Effect, remember } from "./commands.js";
import type { Counters } from "./counters.js";
import { birthStatus } from "./payload.js";
import { messageDueUs, reanchor, sampleTimeUs } from "./schedule.js";
import type { VirtualSensor } from "./virtual-sensor.js";

/** What the command handling needs from the fleet: its counters, its clock and its scheduler. */
export type CommandContext = {
  c: Counters;
  nowUs: () => number;
  stopping: () => boolean;
  /** Puts the sensor back in the scheduler at `at` (superseding its current entry). */
  schedule: (s: VirtualSensor, at: number) => void;
};

/**
 * The fleet side of commands: applies what decideCommand (commands.ts) decided, publishes the sensor's new status
 * and the ack. Also publishes the status on every connect (the birth).
 */
export function createCommandHandling(ctx: CommandContext) {
  const { c, nowUs, schedule } = ctx;

  const publishStatus = (s: VirtualSensor): void => {
    const status = birthStatus(s.type, s.clock.rateHz, s.asleep ? "asleep" : "awake");
    s.link?.publish(s.statusTopic, status, true, (err) => {
      if (err) c.lastError = `${s.id}: status: ${err.message}`;
    });
  };

  const publishAck = (s: VirtualSensor, ack: AckPayload): void => {
    if (ack.status === "ok") c.acksOk++;
    else c.acksError++;
    s.link?.publish(deviceTopicFor(s.id, "acks"), JSON.stringify(ack), false, (err) => {
      if (err) c.lastError = `${s.id}: ack: ${err.message}`;
    });
  };

  const onCommand = (s: VirtualSensor, topic: string, payload: Buffer): void => {
    if (ctx.stopping() || !topic.startsWith(s.commandsPrefix)) return;
    c.commandsReceived++;
    const d = decideCommand(topic.slice(s.commandsPrefix.length), payload, nowUs(), s.behaviour, s.answered);
    if (d.kind === "malformed") {
      c.commandsMalformed++;
      c.lastError = `${s.id}: command: ${d.error}`;
      return;
    }
    if (d.kind === "ignored") {
      c.commandsIgnored++;
      return;
    }
    if (d.kind === "answer") {
      remember(s.answered, d.ack);
      if (d.effect !== undefined) {
        apply(s, d.effect);
        publishStatus(s);
      }
    }
    publishAck(s, d.ack);
  };

  /** Where a woken or re-rated sensor's next sample goes: now, and never at or before the last one taken. */
  const resumeAt = (s: VirtualSensor): number =>
    s.nextK === 0 ? nowUs() : Math.max(nowUs(), sampleTimeUs(s.clock, s.nextK - 1) + 1);

  const apply = (s: VirtualSensor, e: Effect): void => {
    if (e.kind === "sleep") {
      if (!s.asleep) c.asleep++;
      s.asleep = true;
      // The queue entry goes stale: nothing is scheduled for a sleeping sensor (no polling).
      s.gen++;
      return;
    }
    if (e.kind === "awake") {
      if (!s.asleep) return;
      s.asleep = false;
      c.asleep--;
    }
    const rateHz = e.kind === "rate" ? e.hz : s.clock.rateHz;
    if (s.asleep) {
      s.clock = { ...s.clock, rateHz };
      return;
    }
    s.clock = reanchor(s.clock, s.nextK, resumeAt(s), rateHz);
    schedule(s, messageDueUs(s.clock, s.nextK));
  };

  return { onCommand, publishStatus };
}
