/**
 * Injected time (lru-cache's `perf` option is the model): the pool, sessions, refresher, prober and
 * provider transport read time and schedule work only through a Clock, so tests move time by hand
 * instead of sleeping.
 *
 * Socket-level timeouts (connect, handshake, idle tunnels) stay on Node's own timers: they measure
 * the kernel and a peer, which no manual clock can move.
 */

/** Opaque handle from {@link Clock.setTimeout}. */
export type TimerHandle = object;

export interface Clock {
  /** Milliseconds, monotonic enough for expiry arithmetic (Date.now() in production). */
  now(): number;
  /**
   * Run `fn` once after `ms`. Timers never keep the process alive by themselves (unref'd): the
   * listeners do, and a library timer must not hold up an exit.
   */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => {
    if (handle !== undefined) clearTimeout(handle as NodeJS.Timeout);
  },
};

/** Resolve after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/**
 * Call `fn` every `ms` on `clock` until the returned function is called. Re-armed after each call
 * (not a fixed-rate interval), so a slow tick never piles up behind itself.
 */
export function every(clock: Clock, ms: number, fn: () => void): () => void {
  let handle: TimerHandle | undefined;
  let stopped = false;
  const run = (): void => {
    if (stopped) return;
    try {
      fn();
    } finally {
      if (!stopped) handle = clock.setTimeout(run, ms);
    }
  };
  handle = clock.setTimeout(run, ms);
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to; for tests. `advance(ms)` fires every timer that falls due,
 * in due order, with `now()` reading each timer's due time while it runs; `advanceAsync` also lets
 * promise callbacks settle between timers, so chains like "back off, then call again" complete.
 */
export class ManualClock implements Clock {
  private readonly timers = new Set<ManualTimer>();
  private seq = 0;

  constructor(private t = 1_700_000_000_000) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.timers.delete(handle as ManualTimer);
  }

  /** Timers still waiting (tests assert that stop() cleared them). */
  get pendingTimers(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (let timer = this.nextDue(end); timer !== undefined; timer = this.nextDue(end)) {
      this.timers.delete(timer);
      this.t = Math.max(this.t, timer.at);
      timer.fn();
    }
    this.t = end;
  }

  /** As advance, yielding to pending promise callbacks before and after each timer. */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.t + ms;
    await flushMicrotasks();
    for (let timer = this.nextDue(end); timer !== undefined; timer = this.nextDue(end)) {
      this.timers.delete(timer);
      this.t = Math.max(this.t, timer.at);
      timer.fn();
      await flushMicrotasks();
    }
    this.t = end;
    await flushMicrotasks();
  }

  private nextDue(end: number): ManualTimer | undefined {
    let next: ManualTimer | undefined;
    for (const timer of this.timers) {
      if (timer.at > end) continue;
      if (next === undefined || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq)) next = timer;
    }
    return next;
  }
}

/** Let queued promise reactions (and the reactions they queue) run; a macrotask turn does. */
function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
