import { backoff, sleep } from "@sensorstream/runtime";

export type WaitOptions<T> = {
  /** "PostgreSQL", "RabbitMQ": the subject of the progress line. */
  what: string;
  /** Where, fit for a terminal (no password). */
  where: string;
  /** One try; a rejection means "not yet" unless `permanent` says otherwise. */
  attempt: () => Promise<T>;
  /** An error that waiting cannot fix (a wrong password): give up at once. */
  permanent?: (err: unknown) => boolean;
  /** Give up after this long (the first attempt is always made). */
  limitMs: number;
  /** Prints a progress line. */
  say: (line: string) => void;
  /** Milliseconds between progress lines; default 5 s. */
  progressEveryMs?: number;
  clock?: () => number;
  pause?: (ms: number) => Promise<void>;
};

export type WaitResult<T> = { ok: true; value: T } | { ok: false; error: unknown; waitedS: number };

export const reasonOf = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";

/**
 * npm start on a laptop where PostgreSQL or RabbitMQ is still starting: retry with backoff (0.25 s
 * growing to 5 s), say what it waits for every few seconds ("waiting for PostgreSQL at … (12 s)"),
 * and give up after `limitMs` with the last error.
 */
export async function waitUntilReachable<T>(o: WaitOptions<T>): Promise<WaitResult<T>> {
  const clock = o.clock ?? Date.now;
  const pause = o.pause ?? sleep;
  const every = o.progressEveryMs ?? 5_000;
  const delay = backoff(250, 5_000);
  const started = clock();
  let saidAt: number | undefined;
  for (;;) {
    try {
      return { ok: true, value: await o.attempt() };
    } catch (err) {
      const waited = clock() - started;
      if (o.permanent?.(err) || waited >= o.limitMs)
        return { ok: false, error: err, waitedS: Math.round(waited / 1000) };
      if (saidAt === undefined || clock() - saidAt >= every) {
        o.say(`waiting for ${o.what} at ${o.where} (${Math.round(waited / 1000)} s): ${reasonOf(err)}`);
        saidAt = clock();
      }
      await pause(Math.min(delay.next(), Math.max(0, o.limitMs - waited)));
    }
  }
}
