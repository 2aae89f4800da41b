import { DueQueue } from "./due-queue.js";
import type { VirtualSensor } from "./virtual-sensor.js";

const MAX_SLEEP_MS = 100;
/** Messages built per timer tick before yielding to I/O (matters only when catching up). */
const MAX_MESSAGES_PER_TICK = 2_000;

/** What the scheduler needs from the fleet. */
export type SchedulerContext = {
  sensors: readonly VirtualSensor[];
  nowUs: () => number;
  /** Epoch microseconds at which the run ends (+Infinity: no end). */
  endUs: number;
  stopping: () => boolean;
  /** Looks at a due sensor (publishing what may be sent); returns when to look at it again. */
  step: (s: VirtualSensor, horizonUs: number, now: number) => number;
  /** Called once the end time is reached. */
  onEnd: () => void;
};

/** The fleet's one timer over a queue of (due time, sensor) entries. */
export class FleetScheduler {
  private readonly queue = new DueQueue();
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  private readonly ctx: SchedulerContext;

  constructor(ctx: SchedulerContext) {
    this.ctx = ctx;
  }

  /** Puts the sensor in the queue at `at`, superseding its current entry. */
  schedule = (s: VirtualSensor, at: number): void => {
    s.gen++;
    this.queue.push(at, s.index, s.gen);
  };

  /** Stops the timer and forgets every entry. */
  halt(): void {
    clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.queue.clear();
  }

  tick = (): void => {
    const { sensors, nowUs, endUs, step } = this.ctx;
    const queue = this.queue;
    this.timer = undefined;
    this.immediate = undefined;
    if (this.ctx.stopping()) return;
    const now = nowUs();
    const horizon = Math.min(now, endUs);
    let budget = MAX_MESSAGES_PER_TICK;
    for (let at = queue.peekTime(); at !== undefined && at <= horizon && budget > 0; at = queue.peekTime()) {
      const entry = queue.popEntry();
      const s = entry === undefined ? undefined : sensors[entry.index];
      if (entry === undefined || s === undefined) break;
      budget--;
      // Superseded by a command (sleep, awake, new rate): the sensor is elsewhere in the queue, or asleep.
      if (entry.tag !== s.gen) continue;
      queue.push(step(s, horizon, now), s.index, s.gen);
    }
    if (budget === 0) {
      // Behind schedule: yield to I/O (PUBACKs) and carry on with what is due.
      this.immediate = setImmediate(this.tick);
      return;
    }
    if (now >= endUs) {
      this.ctx.onEnd();
      return;
    }
    const wake = Math.min(queue.peekTime() ?? endUs, endUs);
    this.timer = setTimeout(this.tick, Math.min(MAX_SLEEP_MS, Math.max(0, Math.ceil((wake - now) / 1000))));
  };
}
