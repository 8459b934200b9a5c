/**
 * Keeps sub-pools ahead of need. Extracts when a sub-pool's usable endpoints fall under
 * `poolMin`, now or within the look-ahead window before the soonest expiries, or under half of
 * what its measured demand calls for. Each extraction asks for what is missing from that target
 * (demand.ts: picks per lifetime / coverage, within `poolMin` and `num`), or always `num` with
 * `sizing: 'fixed'`. Concurrent demands on one sub-pool share one call (single flight); p-queue
 * bounds calls in flight to the API. The source is asked one thing per extraction — geo and count
 * (`extract(query)`) — so a decorator (a shared pool across replicas) can wrap it.
 * On failure it keeps serving what has not expired and backs off with jitter, logging state
 * changes (ok → failing → recovered), not every attempt.
 */
import PQueue from 'p-queue';
import { every, sleep, type Clock } from '../clock.js';
import { SwivelError, isSwivelError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { Emitter } from '../pool/events.js';
import type { EndpointPool, Supplier } from '../pool/pool.js';
import type { SubPool } from '../pool/sub-pool.js';
import { describeGeo } from '../pool/geo-key.js';
import { filterBatchInSlices, filterInSlices, type ColumnReject } from '../pool/ingest.js';
import type { EndpointBatch } from '../provider/batch.js';
import type { EndpointSource, ExtractQuery, ParsedEndpoint, ParseResult } from '../provider/types.js';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.js';
import { retryAfterMs } from '../provider/retry-after.js';
import { COVERAGE, DemandMeter, targetSize, type DemandSnapshot } from './demand.js';
import type { ExtractSizing } from '../config/types.js';

export interface RefresherOptions {
  source: EndpointSource;
  pool: EndpointPool;
  clock: Clock;
  /** num, life, format, lb: the geo fields come from each sub-pool. */
  query: Omit<ExtractQuery, 'cc' | 'state' | 'city' | 'ep'>;
  /** How long an extracted endpoint may be handed out. */
  lifetimeMs: number;
  poolMin: number;
  concurrency: number;
  random?: () => number;
  logger?: Logger;
  backoff?: BackoffOptions;
  /** Period of the maintenance tick (prune, drop idle, refresh ahead). */
  tickMs?: number;
  /** A sub-pool that still has usable endpoints is not extracted for more often than this. */
  minIntervalMs?: number;
  /** Non-default sub-pools are kept topped up only while requested within this window. */
  activeWindowMs?: number;
  /** Ingest filter (private-address rejection); returns a reason to reject, or undefined. */
  reject?: ColumnReject;
  /** How extractions are sized; `demand` when absent. */
  sizing?: ExtractSizing;
  /** Picks per endpoint the rotation needs to reach every endpoint (demand.ts COVERAGE); round-robin's when absent. */
  coverage?: number;
}

/** What the status page shows about demand for one sub-pool. */
export interface DemandStatus {
  /** Picks (rotations, new sessions) expected per endpoint lifetime; undefined while cold. */
  picksPerLifetime: number | undefined;
  /** Usable endpoints demand calls for (`num` while cold or with fixed sizing). */
  target: number;
}

/** One extraction call ended; `outcome` is `ok` or the error code. */
export interface ExtractionEvent {
  type: 'extraction';
  pool: string;
  outcome: string;
  durationMs: number;
}

/** What the status page shows about the provider for one sub-pool. */
export interface RefreshStatus {
  failing: boolean;
  failures: number;
  lastError: { code: string; message: string } | undefined;
  lastCallAt: number | undefined;
  lastSuccessAt: number | undefined;
  /** When the next attempt is allowed (back-off), or undefined when not backing off. */
  nextAttemptAt: number | undefined;
}

interface RefreshState {
  inflight: Promise<void> | undefined;
  failures: number;
  nextAttemptAt: number;
  lastError: SwivelError | undefined;
  lastSuccessAt: number;
  lastCallAt: number;
  failing: boolean;
  demand: DemandMeter;
  /** New endpoints the last successful extraction brought (renewals not counted). */
  lastAdded: number;
}

export class Refresher implements Supplier {
  private readonly states = new WeakMap<SubPool, RefreshState>();
  private readonly queue: PQueue;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;
  private readonly abort = new AbortController();
  private stopTicking: (() => void) | undefined;
  /** Extraction calls made, successful or not and how they ended (stats, metrics, tests). */
  calls = 0;
  callsOk = 0;
  /** Extractions served by a batch another replica extracted (--redis-url): no call of ours. */
  callsShared = 0;
  readonly callsFailed = new Map<string, number>();
  readonly events = new Emitter<ExtractionEvent>();

  constructor(private readonly options: RefresherOptions) {
    this.queue = new PQueue({ concurrency: options.concurrency });
    this.log = (options.logger ?? silentLogger).child({ component: 'refresh' });
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    options.pool.setSupplier(this);
  }

  /** Start the maintenance tick. */
  start(): void {
    if (this.stopTicking !== undefined) return;
    this.stopTicking = every(this.options.clock, this.options.tickMs ?? 1_000, () => this.tick());
  }

  /** Resolves once no extraction is queued or running (tests step a manual clock between calls). */
  settled(): Promise<void> {
    return this.queue.onIdle();
  }

  /** Stop ticking and abandon in-flight calls; pending demands settle. */
  stop(): void {
    this.stopTicking?.();
    this.stopTicking = undefined;
    this.abort.abort();
    this.queue.clear();
  }

  demand(sub: SubPool): Promise<void> {
    const st = this.state(sub);
    if (st.inflight !== undefined) return st.inflight;
    const wait = st.nextAttemptAt - this.options.clock.now();
    const run = (): Promise<void> => this.queue.add(() => this.attempt(sub, st)).then(noop, noop);
    const p = wait > 0 ? sleep(this.options.clock, wait).then(run) : run();
    st.inflight = p.finally(() => {
      st.inflight = undefined;
    });
    return st.inflight;
  }

  lastFailure(sub: SubPool): SwivelError | undefined {
    return this.states.get(sub)?.lastError;
  }

  /**
   * One extraction now, bypassing back-off; rejects with the failure (used at start-up). The caller
   * reports that failure, so it is not logged here: a bad key reads as one line, not two.
   */
  async refreshNow(sub: SubPool): Promise<void> {
    const st = this.state(sub);
    // Join a demand already in flight rather than calling the API twice for one sub-pool.
    if (st.inflight !== undefined) await st.inflight;
    else await this.queue.add(() => this.attempt(sub, st, false));
    if (st.lastError !== undefined) throw st.lastError;
  }

  /** Provider state for `sub` (status page, readiness reason). */
  status(sub: SubPool): RefreshStatus {
    const st = this.states.get(sub);
    const now = this.options.clock.now();
    return {
      failing: st?.failing ?? false,
      failures: st?.failures ?? 0,
      lastError: st?.lastError === undefined ? undefined : { code: st.lastError.code, message: st.lastError.message },
      lastCallAt: st === undefined || st.lastCallAt === 0 ? undefined : st.lastCallAt,
      lastSuccessAt: st === undefined || st.lastSuccessAt === -Infinity ? undefined : st.lastSuccessAt,
      nextAttemptAt: st !== undefined && st.nextAttemptAt > now ? st.nextAttemptAt : undefined,
    };
  }

  /** Prune expired endpoints, drop idle sub-pools, and refresh those running low. */
  tick(): void {
    const { pool, poolMin } = this.options;
    const now = this.options.clock.now();
    pool.pruneExpired(now);
    pool.dropIdle();
    for (const sub of pool.allSubPools()) {
      const st = this.state(sub);
      st.demand.observe(sub.picks, now);
      if (this.needsRefresh(sub, st, now, poolMin)) void this.demand(sub);
    }
  }

  /** Measured demand and the size it calls for (status page, metrics). */
  demandStatus(sub: SubPool): DemandStatus {
    const st = this.state(sub);
    const now = this.options.clock.now();
    st.demand.observe(sub.picks, now);
    return { picksPerLifetime: st.demand.picksPerLifetime(now), target: this.target(st, now) };
  }

  /** The demand measured for `sub`, for a state file. */
  demandSnapshot(sub: SubPool): DemandSnapshot {
    const st = this.state(sub);
    const now = this.options.clock.now();
    st.demand.observe(sub.picks, now);
    return st.demand.snapshot(now);
  }

  /** Take over demand a previous run measured (state file), so a restart is not cold. */
  restoreDemand(sub: SubPool, snapshot: DemandSnapshot): boolean {
    return this.state(sub).demand.restore(snapshot, this.options.clock.now());
  }

  /** Usable endpoints `sub` should have: demand.ts's target, or `num` with fixed sizing. */
  private target(st: RefreshState, now: number): number {
    const { poolMin, query } = this.options;
    if (this.options.sizing === 'fixed') return Math.max(poolMin, query.num);
    return targetSize(st.demand.picksPerLifetime(now), this.options.coverage ?? COVERAGE['round-robin'], poolMin, query.num);
  }

  /** How far ahead of expiry endpoints stop counting as stock: lifetime/5, within 1–30 s. */
  private get aheadMs(): number {
    return Math.min(30_000, Math.max(1_000, this.options.lifetimeMs / 5));
  }

  private needsRefresh(sub: SubPool, st: RefreshState, now: number, poolMin: number): boolean {
    if (st.inflight !== undefined || now < st.nextAttemptAt) return false;
    if (!sub.isDefault && now - sub.lastDemandAt > (this.options.activeWindowMs ?? 60_000)) return false;
    const usableNow = sub.usableAt(now);
    if (usableNow === 0) return true;
    if (now - st.lastSuccessAt < (this.options.minIntervalMs ?? 5_000)) return false;
    const usableAhead = sub.usableAt(now + this.aheadMs);
    if (usableNow < poolMin || usableAhead < poolMin) return true;
    // Demand outgrew the pool: top up once it holds less than half of the target, not at every
    // shortfall of one, so a slowly rising demand costs a few calls per lifetime, not one per tick.
    // Only on measured demand (a cold sub-pool has just asked for --num), at most once per
    // look-ahead window, and not while the provider's last answer brought nothing new (it has no
    // more to give for this geo; asking again would only repeat it).
    if (this.options.sizing === 'fixed' || st.demand.picksPerLifetime(now) === undefined || st.lastAdded === 0) return false;
    if (now - st.lastSuccessAt < this.aheadMs) return false;
    return usableAhead * 2 < this.target(st, now);
  }

  /**
   * Endpoints to ask for now: what the target lacks beyond the look-ahead, at least 1, at most
   * `num`. A cold sub-pool (nothing measured yet) asks for `num`, exactly as fixed sizing does.
   */
  private extractionSize(sub: SubPool, st: RefreshState): number {
    const num = this.options.query.num;
    if (this.options.sizing === 'fixed') return num;
    const now = this.options.clock.now();
    st.demand.observe(sub.picks, now);
    if (st.demand.picksPerLifetime(now) === undefined) return num;
    const missing = this.target(st, now) - sub.usableAt(now + this.aheadMs);
    return Math.max(1, Math.min(num, missing));
  }

  private state(sub: SubPool): RefreshState {
    let st = this.states.get(sub);
    if (st === undefined) {
      st = {
        inflight: undefined,
        failures: 0,
        nextAttemptAt: 0,
        lastError: undefined,
        lastSuccessAt: -Infinity,
        lastCallAt: 0,
        failing: false,
        demand: new DemandMeter(this.options.lifetimeMs, this.options.clock.now()),
        lastAdded: -1,
      };
      this.states.set(sub, st);
    }
    return st;
  }

  private async attempt(sub: SubPool, st: RefreshState, logFailure = true): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.calls++;
    const startedAt = performance.now();
    st.lastCallAt = this.options.clock.now();
    const { cc, state, city, ep } = sub.geo;
    const query: ExtractQuery = { ...this.options.query, cc, state, city, ep, num: this.extractionSize(sub, st) };
    try {
      const result = await this.options.source.extract(query, this.abort.signal);
      if (result.malformed > 0) {
        this.log.warn(
          { pool: sub.key, malformed: result.malformed, example: result.firstMalformed },
          'skipped malformed entries in the extraction answer',
        );
      }
      const accepted = await this.filter(result, sub);
      if (accepted.length === 0) {
        throw new SwivelError('provider_empty', `the provider returned no usable endpoints for ${describeGeo(sub.geo)}`);
      }
      const now = this.options.clock.now();
      // A batch shared by another replica keeps the expiry it was extracted with.
      const lifetimeMs = result.expiresAt === undefined ? this.options.lifetimeMs : result.expiresAt - now;
      // Sliced: requests keep moving while a large answer goes in (pool/ingest.ts).
      const { added, renewed } = await this.options.pool.ingestInSlices(sub, accepted, now, lifetimeMs);
      if (result.shared === true) {
        this.calls--;
        this.callsShared++;
      } else this.callsOk++;
      this.announce(sub, result.shared === true ? 'shared' : 'ok', startedAt);
      st.failures = 0;
      st.nextAttemptAt = 0;
      st.lastError = undefined;
      st.lastSuccessAt = now;
      st.lastAdded = added;
      if (st.failing) this.log.info({ pool: sub.key, added }, 'extraction recovered');
      st.failing = false;
      this.log.debug({ pool: sub.key, added, renewed, size: sub.size }, 'extracted');
    } catch (err) {
      if (this.abort.signal.aborted) return;
      this.onFailure(sub, st, err, logFailure);
      const code = st.lastError?.code ?? 'internal';
      this.callsFailed.set(code, (this.callsFailed.get(code) ?? 0) + 1);
      this.announce(sub, code, startedAt);
    }
  }

  private announce(sub: SubPool, outcome: string, startedAt: number): void {
    if (this.events.listening) this.events.emit({ type: 'extraction', pool: sub.key, outcome, durationMs: performance.now() - startedAt });
  }

  /**
   * Drop rejected endpoints in place: the parser's array (or column batch) is ours, so no second
   * one is built. A parser's columns (ParseResult.batch) are read as columns: no object per entry.
   */
  private async filter(result: ParseResult, sub: SubPool): Promise<ParsedEndpoint[] | EndpointBatch> {
    const batch = result.batch;
    const endpoints = batch ?? result.endpoints;
    const reject = this.options.reject;
    if (reject === undefined) return endpoints;
    // In slices, as the ingest after it (pool/ingest.ts).
    const { rejected, example } =
      batch !== undefined ? await filterBatchInSlices(batch, reject) : await filterInSlices(result.endpoints, reject);
    if (rejected > 0) this.log.warn({ pool: sub.key, rejected, reason: example }, 'rejected endpoints at ingest');
    return endpoints;
  }

  private onFailure(sub: SubPool, st: RefreshState, err: unknown, log: boolean): void {
    const error = isSwivelError(err) ? err : new SwivelError('internal', 'extraction failed unexpectedly', { cause: err });
    st.failures++;
    st.lastError = error;
    const now = this.options.clock.now();
    // A provider that says when to come back (Retry-After on 429/503) is waited for at least that long.
    const asked = retryAfterMs(error.details?.['retryAfter'] as string | undefined, now);
    const retryInMs = Math.max(backoffDelay(st.failures, this.backoff, this.random), asked ?? 0);
    st.nextAttemptAt = now + retryInMs;
    if (!log) return;
    const fields = { pool: sub.key, code: error.code, reason: error.message, retryInMs, usable: sub.usableAt(this.options.clock.now()) };
    if (!st.failing) this.log.warn(fields, 'extraction failing; serving unexpired endpoints and backing off');
    else this.log.debug({ ...fields, failures: st.failures }, 'extraction still failing');
    st.failing = true;
  }
}

function noop(): void {}
