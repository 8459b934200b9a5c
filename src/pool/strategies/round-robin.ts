import type { Endpoint } from '../endpoint.js';
import type { LiveSet } from '../live-set.js';
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

  /**
   * The live set's cursor walks its items. Each step either returns, passes a hole (at most half
   * the list, see LiveSet), or removes an endpoint that stopped being usable, so the loop ends.
   */
  pickFrom(live: LiveSet, now: number): number {
    const store = live.store;
    while (live.count > 0) {
      let i = live.cursor;
      if (i >= live.length) i = 0;
      const slot = live.items[i]!;
      live.cursor = i + 1;
      if (slot === -1) continue;
      if (store.isUsable(slot, now)) return slot;
      live.remove(slot);
    }
    return -1;
  }
}
