/**
 * Injected time (lru-cache's `perf` option is the model): the pool, sessions and refresher read
 * time only through a Clock, so tests move time by hand instead of sleeping.
 */
export interface Clock {
  /** Milliseconds, monotonic enough for expiry arithmetic (Date.now() in production). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; for unit tests. */
export class ManualClock implements Clock {
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
