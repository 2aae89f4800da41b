/**
 * Runs `work` one call at a time: a call starts once the previous one has settled (a timer and an event may ask at
 * once). A failure is reported and counts as 0, so the next call runs as usual.
 */
export class OneAtATime {
  #last: Promise<number> = Promise.resolve(0);

  constructor(
    private readonly work: () => Promise<number>,
    private readonly onError: (err: unknown) => void,
  ) {}

  run(): Promise<number> {
    this.#last = this.#last.then(this.work).catch((err: unknown) => {
      this.onError(err);
      return 0;
    });
    return this.#last;
  }

  /** Settles when the calls made so far have. */
  idle(): Promise<number> {
    return this.#last;
  }
}
