import type { Endpoint } from '../endpoint.js';
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
  pickFrom(live: LiveSet, now: number): number {
    const store = live.store;
    let i = 0;
    for (let draw = 0; draw < RANDOM_DRAWS && live.count > 0; draw++) {
      i = randomIndex(this.random, live.length);
      const slot = live.items[i]!;
      if (slot === -1) continue;
      if (store.isUsable(slot, now)) return slot;
      live.remove(slot);
    }
    while (live.count > 0) {
      if (i >= live.length) i = 0;
      const slot = live.items[i++]!;
      if (slot === -1) continue;
      if (store.isUsable(slot, now)) return slot;
      live.remove(slot);
    }
    return -1;
  }
}
