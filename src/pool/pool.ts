/**
 * EndpointPool: sub-pools by geo key, sticky sessions, and the one question listeners ask —
 * "which endpoint for this request?". Listeners know nothing about rotation (glider's
 * NextDialer/Record split): they call select/acquire and report the outcome.
 *
 * The pool never calls the provider. When a sub-pool has nothing usable it asks its Supplier (the
 * refresher, wired in by the composition root) and waits, bounded by the acquire timeout.
 */
import type { Clock } from '../clock.js';
import { SwivelError } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { RotateStrategy } from '../config/types.js';
import type { EndpointBatch } from '../provider/batch.js';
import type { ParsedEndpoint } from '../provider/types.js';
import { endpointId, isUsable, type Endpoint, type EndpointHealth } from './endpoint.js';
import { Emitter, emptyCounters, type PoolCounters, type PoolEvent } from './events.js';
import { describeGeo, geoKey, type GeoSelection } from './geo-key.js';
import { ingestInSlices, type SliceOptions } from './ingest.js';
import { MemorySessionStore } from './sessions/memory.js';
import { sessionKey, type SessionEntry, type SessionStore } from './sessions/store.js';
import { createStrategy, type RandomSource } from './strategies/index.js';
import { SubPool, type IngestResult, type RetiredCount } from './sub-pool.js';

/** What a request asks for. */
export interface Selection {
  geo: GeoSelection;
  /** Sticky session id from the client, if any. */
  session?: string | undefined;
  /** The session's own idle TTL (client-asked, already capped); the pool's when undefined. */
  sessionTtlMs?: number | undefined;
}

/** An endpoint as a state file saved it: where it is, until when, and its health and counters. */
export interface RestoredEndpoint extends ParsedEndpoint {
  extractedAt: number;
  expiresAt: number;
  health: EndpointHealth;
  ejectedUntil: number;
  ejections: number;
  consecutiveFailures: number;
  uses: number;
  successes: number;
  failures: number;
  lastUsedAt: number;
}

/** Keeps sub-pools stocked; implemented by the refresher. */
export interface Supplier {
  /** Start (or join) an extraction for `sub`; settles when that attempt ends, never rejects. */
  demand(sub: SubPool): Promise<void>;
  /** Why the last attempt for `sub` failed, if it did; quoted in 503 answers. */
  lastFailure(sub: SubPool): SwivelError | undefined;
}

export interface EndpointPoolOptions {
  defaultGeo: GeoSelection;
  rotate: RotateStrategy;
  sessionTtlMs: number;
  sessionMax: number;
  acquireTimeoutMs: number;
  idleDropMs: number;
  clock: Clock;
  random?: RandomSource;
  logger?: Logger;
  /** Where sessions live; an in-process LRU (sessionTtlMs, sessionMax) when absent. */
  sessionStore?: SessionStore;
}

export class EndpointPool {
  private readonly subPools = new Map<string, SubPool>();
  private readonly sessions: SessionStore;
  private readonly log: Logger;
  private supplier: Supplier | undefined;
  readonly defaultPool: SubPool;
  /** Monotonic counters since start (stats, metrics). */
  readonly counters: PoolCounters = emptyCounters();
  readonly events = new Emitter<PoolEvent>();

  constructor(private readonly options: EndpointPoolOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'pool' });
    this.sessions =
      options.sessionStore ?? new MemorySessionStore({ ttlMs: options.sessionTtlMs, max: options.sessionMax, clock: options.clock });
    this.defaultPool = this.subPoolFor(options.defaultGeo, true);
  }

  setSupplier(supplier: Supplier): void {
    this.supplier = supplier;
  }

  get now(): number {
    return this.options.clock.now();
  }

  /** The sub-pool for `geo`, created on demand. */
  subPoolFor(geo: GeoSelection, isDefault = false): SubPool {
    const key = geoKey(geo);
    let sub = this.subPools.get(key);
    if (sub === undefined) {
      sub = new SubPool(key, geo, isDefault, createStrategy(this.options.rotate, this.options.random), this.now, this.options.random);
      this.subPools.set(key, sub);
      if (!isDefault) this.log.debug({ pool: key }, 'sub-pool created');
    }
    return sub;
  }

  allSubPools(): IterableIterator<SubPool> {
    return this.subPools.values();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Synchronous fast path: an endpoint if one is usable now, honouring the session. `avoid` lists
   * endpoints this request already failed on.
   */
  select(sub: SubPool, session: string | undefined, avoid?: readonly Endpoint[], sessionTtlMs?: number): Endpoint | undefined {
    const now = this.now;
    sub.lastDemandAt = now;
    if (session === undefined) return this.handOut(sub, sub.select(now, avoid), now);

    const key = sessionKey(sub.key, session);
    const bound = this.sessions.get(key);
    if (bound !== undefined && isUsable(bound, now) && (avoid === undefined || !avoid.includes(bound))) {
      return this.handOut(sub, bound, now);
    }
    // A shared store may know this session from another replica: let acquire() ask it first.
    if (bound === undefined && this.sessions.lookup !== undefined) return undefined;
    return this.bindNew(sub, key, session, bound, now, avoid, sessionTtlMs);
  }

  private bindNew(
    sub: SubPool,
    key: string,
    session: string,
    bound: Endpoint | undefined,
    now: number,
    avoid: readonly Endpoint[] | undefined,
    sessionTtlMs: number | undefined,
  ): Endpoint | undefined {
    const next = sub.select(now, avoid);
    if (next === undefined) return undefined;
    this.sessions.bind(key, next, sessionTtlMs);
    if (bound === undefined) this.counters.sessionsCreated++;
    else this.counters.sessionsRebound++;
    if (this.events.listening) this.events.emit({ type: 'session-bound', pool: sub.key, rebound: bound !== undefined });
    if (bound !== undefined) {
      this.log.debug({ session, pool: sub.key, from: bound.id, to: next.id, reason: rebindReason(bound, now) }, 'session re-bound');
    }
    return this.handOut(sub, next, now);
  }

  /** Add what an extraction returned to `sub`; counts and announces it. */
  ingest(sub: SubPool, parsed: readonly ParsedEndpoint[] | EndpointBatch, now: number, lifetimeMs: number): IngestResult {
    const result = Array.isArray(parsed) ? sub.ingest(parsed, now, lifetimeMs) : sub.ingestBatch(parsed as EndpointBatch, now, lifetimeMs);
    this.counters.extracted += result.added;
    this.counters.renewed += result.renewed;
    if (this.events.listening) this.events.emit({ type: 'extracted', pool: sub.key, ...result });
    return result;
  }

  /**
   * Put back an endpoint a previous run saved (state file) with its own expiry and health. Not
   * counted as extracted: this run did not pay for it.
   */
  restore(sub: SubPool, saved: RestoredEndpoint): Endpoint | undefined {
    sub.ingest([saved], saved.extractedAt, saved.expiresAt - saved.extractedAt);
    const e = sub.byEndpointId(endpointId(saved.host, saved.port));
    if (e === undefined) return undefined;
    e.health = saved.health;
    e.ejectedUntil = saved.ejectedUntil;
    e.ejections = saved.ejections;
    e.consecutiveFailures = saved.consecutiveFailures;
    e.uses = saved.uses;
    e.successes = saved.successes;
    e.failures = saved.failures;
    e.lastUsedAt = saved.lastUsedAt;
    // Through the sub-pool's own bookkeeping: rotation's live set and least-used's order.
    if (e.health === 'ejected') sub.park(e);
    sub.noteUse(e);
    return e;
  }

  /** Live sessions with their endpoint, idle TTL and last use (state file); empty when the store cannot list them. */
  sessionSnapshot(): SessionEntry[] {
    return this.sessions.snapshot?.() ?? [];
  }

  /** Re-bind a saved session, its idle TTL running from `touchedAt` (state file). */
  restoreSession(entry: SessionEntry): void {
    this.sessions.restore?.(entry);
  }

  /**
   * ingest() in slices that yield to the event loop between them (pool/ingest.ts), for large
   * answers: requests are served from what is in meanwhile. Counters move per slice; one
   * `extracted` event with the totals at the end.
   */
  async ingestInSlices(
    sub: SubPool,
    parsed: readonly ParsedEndpoint[] | EndpointBatch,
    now: number,
    lifetimeMs: number,
    options?: SliceOptions,
  ): Promise<IngestResult> {
    const result = await ingestInSlices(
      sub,
      parsed,
      now,
      lifetimeMs,
      (slice) => {
        this.counters.extracted += slice.added;
        this.counters.renewed += slice.renewed;
      },
      () => this.subPools.get(sub.key) === sub,
      options,
    );
    if (this.events.listening) this.events.emit({ type: 'extracted', pool: sub.key, ...result });
    return result;
  }

  /** Retire expired endpoints in every sub-pool; returns how many were removed. */
  pruneExpired(now: number): number {
    let removed = 0;
    for (const sub of this.subPools.values()) {
      // Objects for the removed only when someone listens for them (a batch expiring together
      // would otherwise build every one of its endpoints just to drop it).
      const gone = sub.pruneCounting(now, this.events.listening ? (e) => this.announceRetired(e) : undefined);
      if (gone.removed === 0) continue;
      removed += gone.removed;
      this.countRetired(gone);
      this.log.debug({ pool: sub.key, expired: gone.removed, left: sub.size }, 'expired endpoints retired');
    }
    return removed;
  }

  /** Put an endpoint out of rotation until `untilMs` (health layer). */
  markEjected(endpoint: Endpoint, untilMs: number, reason: string): void {
    endpoint.ejections++;
    endpoint.health = 'ejected';
    endpoint.ejectedUntil = untilMs;
    this.subPoolOf(endpoint)?.park(endpoint);
    this.counters.ejected++;
    if (this.events.listening) this.events.emit({ type: 'ejected', endpoint, reason, forMs: untilMs - this.now });
  }

  /** Back into rotation (health layer). */
  markReadmitted(endpoint: Endpoint, why: string): void {
    endpoint.health = 'healthy';
    endpoint.consecutiveFailures = 0;
    endpoint.ejectedUntil = 0;
    this.subPoolOf(endpoint)?.admit(endpoint, this.now);
    this.counters.readmitted++;
    if (this.events.listening) this.events.emit({ type: 'readmitted', endpoint, why });
  }

  /** Live sessions per sub-pool key (status page; walks the table, so not for the hot path). */
  sessionsPerPool(): Map<string, number> {
    return this.sessions.countByPool();
  }

  forgetSession(poolKey: string, session: string): void {
    this.sessions.forget(sessionKey(poolKey, session));
  }

  /** Bind `session` to `endpoint` (the dialer: the endpoint that answered a hedged request keeps it). */
  keepSession(sub: SubPool, session: string, endpoint: Endpoint, ttlMs?: number): void {
    this.sessions.bind(sessionKey(sub.key, session), endpoint, ttlMs);
  }

  /** The endpoint a session is bound to right now (for strict sessions). */
  boundEndpoint(sub: SubPool, session: string): Endpoint | undefined {
    return this.sessions.get(sessionKey(sub.key, session));
  }

  /**
   * Select, or wait for the supplier to stock the sub-pool, up to the acquire timeout. Rejects with
   * `pool_empty` carrying the reason (the provider's last failure when there was one).
   */
  async acquire(sel: Selection, avoid?: readonly Endpoint[]): Promise<Endpoint> {
    const sub = this.subPoolFor(sel.geo);
    const first =
      this.select(sub, sel.session, avoid, sel.sessionTtlMs) ?? (await this.sharedSession(sub, sel.session, avoid, sel.sessionTtlMs));
    if (first !== undefined) return first;
    if (this.supplier === undefined) throw this.emptyError(sub, 'no endpoint source is attached');
    // One extraction round, not a loop: if the provider answers and still nothing is usable
    // (all ejected, or all already tried by this request), asking again at once would only
    // hammer the API. The refresher's own tick keeps trying with back-off.
    const settled = await waitAtMost(this.options.clock, this.supplier.demand(sub), this.options.acquireTimeoutMs);
    const ep =
      this.select(sub, sel.session, avoid, sel.sessionTtlMs) ?? (await this.sharedSession(sub, sel.session, avoid, sel.sessionTtlMs));
    if (ep !== undefined) return ep;
    if (!settled) throw this.timeoutError(sub);
    const failure = this.supplier.lastFailure(sub);
    throw this.emptyError(sub, failure?.message ?? 'every endpoint in this pool is ejected or was already tried for this request');
  }

  /**
   * A local miss on a shared store: adopt the endpoint another replica bound the session to when
   * this replica holds it and it is usable, else bind a new one (and publish it through bind).
   */
  private async sharedSession(
    sub: SubPool,
    session: string | undefined,
    avoid: readonly Endpoint[] | undefined,
    sessionTtlMs: number | undefined,
  ): Promise<Endpoint | undefined> {
    const lookup = this.sessions.lookup;
    if (session === undefined || lookup === undefined) return undefined;
    const key = sessionKey(sub.key, session);
    const id = await lookup.call(this.sessions, key);
    const now = this.now;
    const remote = id === undefined ? undefined : sub.byEndpointId(id);
    if (remote !== undefined && isUsable(remote, now) && (avoid === undefined || !avoid.includes(remote))) {
      this.sessions.bind(key, remote, sessionTtlMs);
      return this.handOut(sub, remote, now);
    }
    return this.bindNew(sub, key, session, this.sessions.get(key), now, avoid, sessionTtlMs);
  }

  /** The sub-pool an endpoint belongs to, if it is still in the pool. */
  subPoolOf(endpoint: Endpoint): SubPool | undefined {
    return this.subPools.get(endpoint.poolKey);
  }

  /** Drop sub-pools nobody asked for in `idleDropMs` (never the default one). */
  dropIdle(): SubPool[] {
    const now = this.now;
    const dropped: SubPool[] = [];
    for (const sub of this.subPools.values()) {
      if (sub.isDefault || now - sub.lastDemandAt < this.options.idleDropMs) continue;
      if (this.sessions.hasSessionsIn(sub.key)) continue;
      this.countRetired(sub.clear(this.events.listening ? (e) => this.announceRetired(e) : undefined));
      this.subPools.delete(sub.key);
      dropped.push(sub);
      this.log.debug({ pool: sub.key }, 'idle sub-pool dropped');
    }
    return dropped;
  }

  private countRetired(gone: RetiredCount): void {
    this.counters.expired += gone.removed;
    this.counters.wasted += gone.wasted;
  }

  private announceRetired(e: Endpoint): void {
    this.events.emit({ type: 'expired', endpoint: e, wasted: e.uses === 0 });
  }

  private handOut(sub: SubPool, e: Endpoint | undefined, now: number): Endpoint | undefined {
    if (e !== undefined) {
      if (e.uses === 0) this.counters.used++;
      e.uses++;
      e.lastUsedAt = now;
      sub.noteUse(e);
    }
    return e;
  }

  private timeoutError(sub: SubPool): SwivelError {
    const failure = this.supplier?.lastFailure(sub);
    const waited = `waited ${Math.round(this.options.acquireTimeoutMs / 100) / 10}s`;
    return this.emptyError(
      sub,
      failure === undefined ? `${waited} for an extraction` : `${waited}; last extraction failed: ${failure.message}`,
    );
  }

  private emptyError(sub: SubPool, reason: string): SwivelError {
    return new SwivelError('pool_empty', `no upstream endpoint available for ${describeGeo(sub.geo)}: ${reason}`, {
      details: { pool: sub.key },
    });
  }
}

function rebindReason(previous: Endpoint, now: number): string {
  if (previous.retired) return 'retired';
  if (now >= previous.expiresAt) return 'expired';
  if (previous.health === 'ejected') return 'ejected';
  return 'failed for this request';
}

/** Resolves true if `p` settled within `ms`, false on timeout. Clears its timer either way. */
function waitAtMost(clock: Clock, p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => resolve(false), ms);
    p.then(
      () => {
        clock.clearTimeout(timer);
        resolve(true);
      },
      () => {
        clock.clearTimeout(timer);
        resolve(true);
      },
    );
  });
}
