/**
 * The endpoints extracted for one geo selection (cc, state, city, ep). Holds them in an array for
 * cheap iteration on the selection path, and a Map by id so a re-extracted endpoint renews the
 * entry already there instead of appearing twice.
 */
import type { ParsedEndpoint } from '../provider/types.js';
import { Endpoint, endpointId, isUsable } from './endpoint.js';
import type { GeoSelection } from './geo-key.js';
import type { SelectStrategy } from './strategies/index.js';
import type { RandomSource } from './strategies/types.js';
import { pickUntried } from './strategies/untried.js';

export interface IngestResult {
  added: number;
  renewed: number;
}

export class SubPool {
  readonly endpoints: Endpoint[] = [];
  private readonly byId = new Map<string, Endpoint>();
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
  }

  get size(): number {
    return this.endpoints.length;
  }

  /** The endpoint with this id, if the sub-pool holds it (a session bound on another replica). */
  byEndpointId(id: string): Endpoint | undefined {
    return this.byId.get(id);
  }

  /**
   * One endpoint by the rotation strategy; a retry (non-empty `avoid`) picks at random among the
   * untried instead of the failed one's neighbour. Undefined when none is usable.
   */
  select(now: number, avoid: readonly Endpoint[] | undefined): Endpoint | undefined {
    this.picks++;
    if (avoid !== undefined && avoid.length > 0) return pickUntried(this.endpoints, now, avoid, this.random);
    return this.strategy.pick(this.endpoints, now, avoid);
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
   * it out again, so its lifetime starts over, and its counters and health carry on.
   */
  ingest(parsed: readonly ParsedEndpoint[], now: number, lifetimeMs: number): IngestResult {
    const expiresAt = now + lifetimeMs;
    let added = 0;
    let renewed = 0;
    for (let i = 0; i < parsed.length; i++) {
      const p = parsed[i]!;
      // Look the id up before building an Endpoint: renewals (the common case on a steady pool)
      // then cost one string and no object.
      const id = endpointId(p.host, p.port);
      const existing = this.byId.get(id);
      if (existing !== undefined && !existing.retired) {
        if (existing.expiresAt < expiresAt) existing.expiresAt = expiresAt;
        renewed++;
        continue;
      }
      const fresh = new Endpoint(p, this.key, now, expiresAt, id);
      this.byId.set(id, fresh);
      this.endpoints.push(fresh);
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
        // A fresh endpoint with the same id may already have taken this one's place in the map.
        if (this.byId.get(e.id) === e) this.byId.delete(e.id);
        removed.push(e);
      } else {
        this.endpoints[w++] = e;
      }
    }
    this.endpoints.length = w;
    return removed;
  }

  /** Retire every endpoint (the sub-pool is being dropped). */
  clear(): void {
    for (const e of this.endpoints) e.retired = true;
    this.endpoints.length = 0;
    this.byId.clear();
  }
}
