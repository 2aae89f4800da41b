export type Backoff = { next(): number; reset(): void };

/** Exponential backoff with full jitter between min and the growing cap. */
export function backoff(minMs = 100, maxMs = 10_000, random: () => number = Math.random): Backoff {
  let attempt = 0;
  return {
    next() {
      const cap = Math.min(maxMs, minMs * 2 ** attempt);
      attempt = Math.min(attempt + 1, 30);
      return Math.round(minMs + random() * (cap - minMs));
    },
    reset() {
      attempt = 0;
    },
  };
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
