import type { Endpoint } from '../endpoint.js';
import { eligible, type SelectStrategy } from './types.js';

/** The eligible endpoint handed out the fewest times; ties go to the earliest in the list. */
export class LeastUsedStrategy implements SelectStrategy {
  pick(endpoints: readonly Endpoint[], now: number, avoid: readonly Endpoint[] | undefined): Endpoint | undefined {
    let best: Endpoint | undefined;
    for (let i = 0; i < endpoints.length; i++) {
      const e = endpoints[i]!;
      if ((best === undefined || e.uses < best.uses) && eligible(e, now, avoid)) best = e;
    }
    return best;
  }
}
