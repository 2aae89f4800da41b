/**
 * Who waits for a bus to be connected (RabbitMQ connection, embedded bus, in-memory bus alike): each wait ends at the
 * next `wake()` (connected, closed) or after its timeout, and resolves with whether the bus is connected then.
 */
export class ConnectedWaiters {
  readonly #waiters = new Set<() => void>();

  constructor(private readonly connected: () => boolean) {}

  wait(timeoutMs: number): Promise<boolean> {
    if (this.connected()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve(this.connected());
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}
