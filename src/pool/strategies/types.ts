import { isUsable, type Endpoint } from '../endpoint.js';
import type { EndpointStore } from '../endpoint-store.js';
import type { LiveSet, LiveSetListener } from '../live-set.js';

/**
 * Picks one usable endpoint from a sub-pool. One instance per sub-pool, so a strategy may keep a
 * cursor. Pure apart from that state: no I/O, no allocation on the common path.
 *
 * Two forms: `pickFrom` is the sub-pool's hot path, over its LiveSet (what is in rotation), in
 * O(1) or O(log n) whatever the pool size, removing endpoints it finds no longer usable; it works
 * on store slots (pool/endpoint-store.ts) and returns one, -1 for none;
 * `pick` takes any list and scans it (small lists, and the reference the fast form is tested
 * against). As a LiveSetListener a strategy hears about entries and exits; `used` is told after
 * the pool handed an endpoint out and counted it.
 */
export interface SelectStrategy extends LiveSetListener {
  pick(endpoints: readonly Endpoint[], now: number, avoid: readonly Endpoint[] | undefined): Endpoint | undefined;
  pickFrom(live: LiveSet, now: number): number;
  /** The sub-pool's store, given once before any other call on the slot path. */
  attach?(store: EndpointStore): void;
  used?(slot: number): void;
  /** The store moved its slots (EndpointStore.compact): `remap[old]` is the new slot. */
  remap?(remap: Int32Array): void;
}

/** Random source in [0, 1); injected so tests are deterministic. */
export type RandomSource = () => number;

/** True when `e` may be handed out now and is not one the caller already tried. */
export function eligible(e: Endpoint, now: number, avoid: readonly Endpoint[] | undefined): boolean {
  return isUsable(e, now) && (avoid === undefined || !avoid.includes(e));
}

/** Random draws into the live list before falling back to a walk (holes, avoided, expired). */
export const RANDOM_DRAWS = 8;

/** A uniform index in [0, n), safe against a source that returns 1. */
export function randomIndex(random: RandomSource, n: number): number {
  return Math.floor(random() * n) % n;
}
