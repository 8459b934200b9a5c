import type { Endpoint } from '../endpoint.js';
import { eligible, type RandomSource, type SelectStrategy } from './types.js';

/**
 * Uniform among eligible endpoints when most are eligible: start at a random index and probe
 * forward. (Skipped endpoints bias the one after them slightly; cheaper than building a list.)
 */
export class RandomStrategy implements SelectStrategy {
  constructor(private readonly random: RandomSource) {}

  pick(endpoints: readonly Endpoint[], now: number, avoid: readonly Endpoint[] | undefined): Endpoint | undefined {
    const n = endpoints.length;
    if (n === 0) return undefined;
    const start = Math.floor(this.random() * n) % n;
    for (let step = 0; step < n; step++) {
      const e = endpoints[(start + step) % n]!;
      if (eligible(e, now, avoid)) return e;
    }
    return undefined;
  }
}
