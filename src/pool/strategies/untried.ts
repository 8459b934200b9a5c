import type { Endpoint } from '../endpoint.js';
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
 * tried) the exact count-and-pick walk over the live list decides. Returns a slot, -1 for none.
 */
export function pickUntriedFrom(live: LiveSet, now: number, avoid: readonly Endpoint[], random: RandomSource): number {
  const store = live.store;
  for (let draw = 0; draw < RANDOM_DRAWS && live.count > 0; draw++) {
    const slot = live.items[randomIndex(random, live.length)]!;
    if (slot === -1 || avoids(avoid, live, slot)) continue;
    if (store.isUsable(slot, now)) return slot;
    live.remove(slot);
  }
  // Take what stopped being usable out first, so the walk below sees only the live. Downwards,
  // because a compaction inside remove() only moves items to lower indices.
  for (let i = live.length - 1; i >= 0; i--) {
    if (i >= live.length) continue;
    const slot = live.items[i]!;
    if (slot !== -1 && !store.isUsable(slot, now)) live.remove(slot);
  }
  let count = 0;
  for (let i = 0; i < live.length; i++) {
    const slot = live.items[i]!;
    if (slot !== -1 && !avoids(avoid, live, slot)) count++;
  }
  if (count === 0) return -1;
  let k = Math.min(count - 1, Math.floor(random() * count));
  for (let i = 0; i < live.length; i++) {
    const slot = live.items[i]!;
    if (slot !== -1 && !avoids(avoid, live, slot) && k-- === 0) return slot;
  }
  return -1;
}

/** Is the store's `slot` one of the endpoints in `avoid` (objects attached to that store)? */
function avoids(avoid: readonly Endpoint[], live: LiveSet, slot: number): boolean {
  for (let i = 0; i < avoid.length; i++) {
    const e = avoid[i]!;
    if (e.slot === slot && e.store === live.store) return true;
  }
  return false;
}
