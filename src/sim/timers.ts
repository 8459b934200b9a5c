/**
 * Delayed work a sim server owns (slow starts, slow answers): cancelled together when the server closes, and never
 * run after that, so a closed sim leaves no timer behind to keep the process alive.
 */
export class PendingTimers {
  readonly #timers = new Set<NodeJS.Timeout>();
  #cancelled = false;

  /** Runs `run` after `ms`, unless cancelAll() came first. */
  later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#cancelled) run();
    }, ms);
    this.#timers.add(timer);
  }

  /** Clears every pending timer; later ones never run either. */
  cancelAll(): void {
    this.#cancelled = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
