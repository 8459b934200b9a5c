import type { Endpoint } from '../endpoint.js';
import { eligible, type RandomSource } from './types.js';

/**
 * A retry's pick: uniformly among the usable endpoints this request has not tried. Round-robin
 * would hand out the failed one's next neighbour, and dead endpoints tend to sit together (one
 * extraction, one failed node), so a retry walking the ring meets them one after another.
 */
export function pickUntried(
  endpoints: readonly Endpoint[],
  now: number,
  avoid: readonly Endpoint[],
  random: RandomSource,
): Endpoint | undefined {
  let count = 0;
  for (let i = 0; i < endpoints.length; i++) if (eligible(endpoints[i]!, now, avoid)) count++;
  if (count === 0) return undefined;
  let k = Math.min(count - 1, Math.floor(random() * count));
  for (let i = 0; i < endpoints.length; i++) {
    const e = endpoints[i]!;
    if (eligible(e, now, avoid) && k-- === 0) return e;
  }
  return undefined;
}
