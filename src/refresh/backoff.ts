/**
 * Exponential back-off with "equal jitter": half the delay is fixed, half random, so a fleet of
 * sidecars that failed together does not retry together, yet no retry comes sooner than half the
 * nominal delay.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 60_000 };

/** Delay before attempt number `failures + 1`, given `failures` consecutive failures (>= 1). */
export function backoffDelay(failures: number, options: BackoffOptions, random: () => number): number {
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.round(exp / 2 + (exp / 2) * random());
}
