/**
 * The demand of one sub-pool, and the extraction size it calls for.
 *
 * The model. Providers bill per extracted endpoint, so an endpoint that expires without carrying
 * traffic is money burnt. What touches endpoints is a *pick*: the rotation strategy choosing an
 * endpoint for a request — a rotation (a request or tunnel without a session, or a retry) or a
 * new or re-bound session. A request inside a live session is not a pick: it reuses its endpoint.
 * So the picks `P` a sub-pool sees over one endpoint lifetime bound how many distinct endpoints
 * its traffic can reach before they expire; an endpoint extracted beyond that is wasted. With
 * per-request rotation every endpoint is reached within seconds under any load, so the waste is
 * only ever the endpoints extracted beyond `P` (and extractions for sub-pools nobody uses); with
 * sessions, `P` is the new sessions per lifetime.
 *
 *   target = clamp(ceil(P / coverage), floor = --pool-min, ceiling = --num)
 *
 * `coverage` is the picks per endpoint a rotation strategy needs so that (nearly) every endpoint
 * is reached while it lives, allowing for the look-ahead overlap in which an old and a new batch
 * share the picks: 2 for round-robin and least-used (they visit every endpoint once per cycle; new
 * endpoints first, for least-used), 4 for random (an endpoint escapes k random picks with
 * probability e^-k, and e^-(4 × 0.8) < 5 %).
 *
 * `P` is measured over a trailing window one lifetime long, kept in {@link BUCKETS} buckets, and
 * extrapolated while less than a lifetime has been watched (`P = picks × lifetime / watched`). A
 * sub-pool watched for less than half a lifetime is *cold*: nothing trustworthy is measured yet,
 * so it asks for the ceiling, `--num`, exactly as swivel did before it measured demand (a cold
 * start is when the first burst is likeliest; and a restart with `--state-file` carries the
 * measured demand over, so it is not cold).
 */
import type { RotateStrategy } from '../config/types.js';

/** Buckets in the trailing window; the estimate moves in steps of 1/BUCKETS of a lifetime. */
export const BUCKETS = 30;

/** The longest window kept, whatever the lifetime (a week-long --life would make the estimate sluggish). */
export const MAX_WINDOW_MS = 3_600_000;

/** Picks per endpoint each rotation strategy needs for ≥ 95 % of endpoints to be reached (see above). */
export const COVERAGE: Readonly<Record<RotateStrategy, number>> = { 'round-robin': 2, 'least-used': 2, random: 4 };

/** What a state file keeps of a meter, so a restart is not cold. */
export interface DemandSnapshot {
  bucketMs: number;
  watchedSince: number;
  /** `[bucket index, picks]` for the non-empty buckets still in the window; index = floor(t / bucketMs). */
  buckets: Array<[number, number]>;
}

export class DemandMeter {
  readonly bucketMs: number;
  private readonly index: number[] = new Array<number>(BUCKETS).fill(-1);
  private readonly count: number[] = new Array<number>(BUCKETS).fill(0);
  /** The sub-pool's monotonic pick counter as last seen. */
  private lastPicks = 0;
  /** Since when picks have been counted. */
  watchedSince: number;

  constructor(
    /** One endpoint lifetime: the horizon demand is measured over. */
    private readonly lifetimeMs: number,
    now: number,
  ) {
    this.bucketMs = Math.max(1, Math.ceil(Math.min(lifetimeMs, MAX_WINDOW_MS) / BUCKETS));
    this.watchedSince = now;
  }

  /** Record the sub-pool's pick counter (monotonic, from SubPool.picks) as of `now`. */
  observe(picksTotal: number, now: number): void {
    const delta = picksTotal - this.lastPicks;
    this.lastPicks = picksTotal;
    if (delta > 0) this.add(Math.floor(now / this.bucketMs), delta);
  }

  /** Picks expected over one lifetime, or undefined while cold (watched less than half a lifetime). */
  picksPerLifetime(now: number): number | undefined {
    const window = this.bucketMs * BUCKETS;
    const watched = now - this.watchedSince;
    if (watched < Math.min(this.lifetimeMs, window) / 2) return undefined;
    const current = Math.floor(now / this.bucketMs);
    const oldest = current - BUCKETS + 1;
    let picks = 0;
    for (let i = 0; i < BUCKETS; i++) if (this.index[i]! >= oldest && this.index[i]! <= current) picks += this.count[i]!;
    // The span those buckets cover: from the oldest bucket's start (or the watch start) to now.
    const span = Math.max(1, Math.min(watched, now - oldest * this.bucketMs));
    return (picks / span) * this.lifetimeMs;
  }

  snapshot(now: number): DemandSnapshot {
    const oldest = Math.floor(now / this.bucketMs) - BUCKETS + 1;
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.index[i]! >= oldest && this.count[i]! > 0) buckets.push([this.index[i]!, this.count[i]!]);
    return { bucketMs: this.bucketMs, watchedSince: this.watchedSince, buckets };
  }

  /** Take over what a previous run measured; ignored when its bucket size differs (another lifetime). */
  restore(snap: DemandSnapshot, now: number): boolean {
    if (snap.bucketMs !== this.bucketMs) return false;
    const current = Math.floor(now / this.bucketMs);
    for (const [index, picks] of snap.buckets) {
      if (index > current - BUCKETS && index <= current && picks > 0) this.add(index, picks);
    }
    this.watchedSince = Math.min(this.watchedSince, snap.watchedSince);
    return true;
  }

  private add(index: number, picks: number): void {
    const slot = index % BUCKETS;
    if (this.index[slot] !== index) {
      this.index[slot] = index;
      this.count[slot] = 0;
    }
    this.count[slot]! += picks;
  }
}

/** The sub-pool size demand calls for: see the model above. */
export function targetSize(picksPerLifetime: number | undefined, coverage: number, floor: number, ceiling: number): number {
  if (picksPerLifetime === undefined) return Math.max(floor, ceiling);
  return Math.max(floor, Math.min(ceiling, Math.ceil(picksPerLifetime / coverage)));
}
