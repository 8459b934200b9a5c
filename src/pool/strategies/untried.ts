import { isUsable, type Endpoint } from '../endpoint.js';
import type { LiveSet } from '../live-set.js';
import { RANDOM_DRAWS, eligible, randomIndex, type RandomSource } from './types.js';

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

/**
 * The same over a sub-pool's live set, by rejection: draw an index, redraw on a hole or an
 * endpoint already tried, remove one found unusable. `avoid` is a handful of endpoints, so at a
 * large pool the first draw nearly always lands; when draws keep missing (a small pool mostly
 * tried) the exact count-and-pick walk over the live list decides.
 */
export function pickUntriedFrom(live: LiveSet, now: number, avoid: readonly Endpoint[], random: RandomSource): Endpoint | undefined {
  for (let draw = 0; draw < RANDOM_DRAWS && live.count > 0; draw++) {
    const items = live.items;
    const e = items[randomIndex(random, items.length)];
    if (e === undefined || avoid.includes(e)) continue;
    if (isUsable(e, now)) return e;
    live.remove(e);
  }
  // Take what stopped being usable out first, so the walk below sees only the live. Downwards,
  // because a compaction inside remove() only moves items to lower indices.
  for (let i = live.items.length - 1; i >= 0; i--) {
    const e = live.items[i];
    if (e !== undefined && !isUsable(e, now)) live.remove(e);
  }
  const current = live.items;
  let count = 0;
  for (let i = 0; i < current.length; i++) {
    const e = current[i];
    if (e !== undefined && !avoid.includes(e)) count++;
  }
  if (count === 0) return undefined;
  let k = Math.min(count - 1, Math.floor(random() * count));
  for (let i = 0; i < current.length; i++) {
    const e = current[i];
    if (e !== undefined && !avoid.includes(e) && k-- === 0) return e;
  }
  return undefined;
}
