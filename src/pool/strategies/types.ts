import { isUsable, type Endpoint } from '../endpoint.js';

/**
 * Picks one usable endpoint from a sub-pool's list. One instance per sub-pool, so a strategy may
 * keep a cursor. Pure apart from that state: no I/O, no allocation on the common path.
 */
export interface SelectStrategy {
  pick(endpoints: readonly Endpoint[], now: number, avoid: readonly Endpoint[] | undefined): Endpoint | undefined;
}

/** Random source in [0, 1); injected so tests are deterministic. */
export type RandomSource = () => number;

/** True when `e` may be handed out now and is not one the caller already tried. */
export function eligible(e: Endpoint, now: number, avoid: readonly Endpoint[] | undefined): boolean {
  return isUsable(e, now) && (avoid === undefined || !avoid.includes(e));
}
