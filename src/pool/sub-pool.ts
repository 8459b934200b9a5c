/**
 * The endpoints extracted for one geo selection (cc, state, city, ep). Holds them all in an array
 * (status page, probes, counting), an index by address so a re-extracted endpoint renews the entry
 * already there instead of appearing twice, and a LiveSet of those in rotation, which selection
 * picks from without scanning the rest.
 *
 * The live set follows every change that goes through the pool: ingest and renewal add, prune,
 * clear and ejection (EndpointPool.markEjected → park) remove, readmission (→ admit) adds back.
 * Expiry needs no event: a pick that meets an expired endpoint removes it. A field set directly
 * (tests do) is caught the same way, and prune() re-admits anything usable left outside.
 */
import type { ParsedEndpoint } from '../provider/types.js';
import { Endpoint, isUsable } from './endpoint.js';
import { EndpointIndex } from './endpoint-index.js';
import type { GeoSelection } from './geo-key.js';
import { LiveSet } from './live-set.js';
import type { SelectStrategy } from './strategies/index.js';
import type { RandomSource } from './strategies/types.js';
import { pickUntriedFrom } from './strategies/untried.js';

export interface IngestResult {
  added: number;
  renewed: number;
}

export class SubPool {
  readonly endpoints: Endpoint[] = [];
  private readonly byAddress = new EndpointIndex();
  private readonly live: LiveSet;
  /** Last time a request asked this sub-pool for an endpoint; drives idle dropping. */
  lastDemandAt: number;
  /**
   * Times the rotation chose an endpoint here (a rotation, a retry, a new or re-bound session),
   * found or not; monotonic. The refresher sizes extractions from its rate (refresh/demand.ts).
   */
  picks = 0;

  constructor(
    readonly key: string,
    readonly geo: GeoSelection,
    readonly isDefault: boolean,
    private readonly strategy: SelectStrategy,
    now: number,
    private readonly random: RandomSource = Math.random,
  ) {
    this.lastDemandAt = now;
    this.live = new LiveSet(strategy);
  }

  get size(): number {
    return this.endpoints.length;
  }

  /** The endpoint with this id, if the sub-pool holds it (a session bound on another replica). */
  byEndpointId(id: string): Endpoint | undefined {
    return this.byAddress.getById(id);
  }

  /**
   * One endpoint by the rotation strategy; a retry (non-empty `avoid`) picks at random among the
   * untried instead of the failed one's neighbour. Undefined when none is usable.
   */
  select(now: number, avoid: readonly Endpoint[] | undefined): Endpoint | undefined {
    this.picks++;
    if (avoid !== undefined && avoid.length > 0) return pickUntriedFrom(this.live, now, avoid, this.random);
    return this.strategy.pickFrom(this.live, now);
  }

  /** Room in the address index for `n` more endpoints (a sliced ingest sizes it once). */
  reserve(n: number): void {
    this.byAddress.reserve(n);
  }

  /** The pool handed `e` out and counted the use (least-used re-sorts it). */
  noteUse(e: Endpoint): void {
    // Only least-used cares; the others skip the extra read of the live list (a cache miss at 100k).
    if (this.strategy.used !== undefined && this.live.has(e)) this.strategy.used(e);
  }

  /** Out of rotation (ejected); it stays in the sub-pool for probes and the status page. */
  park(e: Endpoint): void {
    this.live.remove(e);
  }

  /** Back into rotation if it is still this sub-pool's and usable (readmitted). */
  admit(e: Endpoint, now: number): void {
    if (e.poolKey === this.key && isUsable(e, now) && this.byAddress.get(e.host, e.port) === e) this.live.add(e);
  }

  /** Endpoints usable at instant `at` (pass a future instant to look ahead of expiry). */
  usableAt(at: number): number {
    let n = 0;
    for (let i = 0; i < this.endpoints.length; i++) if (isUsable(this.endpoints[i]!, at)) n++;
    return n;
  }

  /** Earliest expiry among usable endpoints, or Infinity. */
  soonestExpiry(now: number): number {
    let soonest = Infinity;
    for (let i = 0; i < this.endpoints.length; i++) {
      const e = this.endpoints[i]!;
      if (isUsable(e, now) && e.expiresAt < soonest) soonest = e.expiresAt;
    }
    return soonest;
  }

  /**
   * Add what an extraction returned. An id already present is renewed: the provider just handed
   * it out again, so its lifetime starts over, and its counters and health carry on. `from`/`to`
   * bound the part of `parsed` to take (sliced ingest, pool/ingest.ts).
   */
  ingest(parsed: readonly ParsedEndpoint[], now: number, lifetimeMs: number, from = 0, to = parsed.length): IngestResult {
    const expiresAt = now + lifetimeMs;
    let added = 0;
    let renewed = 0;
    this.byAddress.reserve(to - from);
    for (let i = from; i < to; i++) {
      const p = parsed[i]!;
      // Look the address up before building an Endpoint: renewals (the common case on a steady
      // pool) then cost no object, and for IPv4 not even a key string.
      const existing = this.byAddress.get(p.host, p.port);
      if (existing !== undefined && !existing.retired) {
        if (existing.expiresAt < expiresAt) existing.expiresAt = expiresAt;
        // Found expired by a pick (so out of rotation) and now handed out again: back in.
        if (existing.liveSlot === -1 && isUsable(existing, now)) this.live.add(existing);
        renewed++;
        continue;
      }
      const fresh = new Endpoint(p, this.key, now, expiresAt);
      this.byAddress.set(fresh);
      this.endpoints.push(fresh);
      this.live.add(fresh);
      added++;
    }
    return { added, renewed };
  }

  /** Drop expired and retired endpoints; returns the ones removed (for logging and metrics). */
  prune(now: number): Endpoint[] {
    const removed: Endpoint[] = [];
    let w = 0;
    for (let r = 0; r < this.endpoints.length; r++) {
      const e = this.endpoints[r]!;
      if (e.retired || now >= e.expiresAt) {
        e.retired = true;
        // A fresh endpoint with the same address may already have taken this one's place.
        this.byAddress.delete(e);
        this.live.remove(e);
        removed.push(e);
      } else {
        this.endpoints[w++] = e;
        // Usable but out of rotation: its health was changed without the pool (see the header).
        if (e.liveSlot === -1 && e.health !== 'ejected') this.live.add(e);
      }
    }
    this.endpoints.length = w;
    return removed;
  }

  /** Retire every endpoint (the sub-pool is being dropped). */
  clear(): void {
    for (const e of this.endpoints) e.retired = true;
    this.endpoints.length = 0;
    this.byAddress.clear();
    this.live.clear();
  }
}
