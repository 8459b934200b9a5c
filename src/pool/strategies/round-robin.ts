import type { Endpoint } from '../endpoint.js';
import { eligible, type SelectStrategy } from './types.js';

/** Each call takes the next eligible endpoint after the previous pick, wrapping around. */
export class RoundRobinStrategy implements SelectStrategy {
  private cursor = 0;

  pick(endpoints: readonly Endpoint[], now: number, avoid: readonly Endpoint[] | undefined): Endpoint | undefined {
    const n = endpoints.length;
    for (let step = 0; step < n; step++) {
      const i = (this.cursor + step) % n;
      const e = endpoints[i]!;
      if (eligible(e, now, avoid)) {
        this.cursor = i + 1;
        return e;
      }
    }
    return undefined;
  }
}
