import { isUsable, type Endpoint } from '../endpoint.js';
import type { LiveSet } from '../live-set.js';
import { RANDOM_DRAWS, eligible, randomIndex, type RandomSource, type SelectStrategy } from './types.js';

/**
 * Uniform among eligible endpoints when most are eligible: start at a random index and probe
 * forward. (Skipped endpoints bias the one after them slightly; cheaper than building a list.)
 */
export class RandomStrategy implements SelectStrategy {
  constructor(private readonly random: RandomSource) {}

  pick(endpoints: readonly Endpoint[], now: number, avoid: readonly Endpoint[] | undefined): Endpoint | undefined {
    const n = endpoints.length;
    if (n === 0) return undefined;
    const start = randomIndex(this.random, n);
    for (let step = 0; step < n; step++) {
      const e = endpoints[(start + step) % n]!;
      if (eligible(e, now, avoid)) return e;
    }
    return undefined;
  }

  /**
   * Draws into the live list: a hole draws again and an endpoint found unusable is removed first,
   * so the pick is uniform among what is in rotation. After a few misses in a row (a source that
   * keeps hitting holes) it probes forward from the last draw, which is bounded by the list.
   */
  pickFrom(live: LiveSet, now: number): Endpoint | undefined {
    let i = 0;
    for (let draw = 0; draw < RANDOM_DRAWS && live.count > 0; draw++) {
      const items = live.items;
      i = randomIndex(this.random, items.length);
      const e = items[i];
      if (e === undefined) continue;
      if (isUsable(e, now)) return e;
      live.remove(e);
    }
    while (live.count > 0) {
      const items = live.items;
      if (i >= items.length) i = 0;
      const e = items[i++];
      if (e === undefined) continue;
      if (isUsable(e, now)) return e;
      live.remove(e);
    }
    return undefined;
  }
}
