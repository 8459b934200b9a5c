/**
 * The extraction source as a fleet sees it: a decorator around the real one, called by the
 * refresher exactly where it would call the provider. Per sub-pool it
 *   1. serves a batch another replica published and this one does not hold yet (no API call);
 *   2. else takes the sub-pool's lock (SET NX PX) and extracts once for everyone, publishing the
 *      batch with its expiry (sorted set scored by expiry, plus a notice on the bus);
 *   3. else waits for the lock holder's notice and serves what it brought, or fails with the
 *      holder's error, so N cold replicas make one call between them.
 * Redis down or slow at any step: the call goes straight to the provider, as without --redis-url.
 * Results carry `expiresAt`, so a batch extracted minutes ago elsewhere keeps its real expiry here.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { ERRORS, SwivelError, isSwivelError, type ErrorCode } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { geoKey } from '../pool/geo-key.js';
import type { EndpointSource, ExtractQuery, ParseResult } from '../provider/types.js';
import type { ExtractionBudget } from './budget.js';
import type { ClusterKeys } from './keys.js';
import { FAILED, type RedisLink } from './link.js';
import { decodeBatch, encode, type BusMessage, type SharedBatch } from './messages.js';

export interface SharedSourceOptions {
  inner: EndpointSource;
  link: RedisLink;
  keys: ClusterKeys;
  clock: Clock;
  /** This replica's id on the bus (its own notices come back to it and are ignored). */
  replicaId: string;
  /** How long an extracted endpoint may be handed out (min(life, max-age)). */
  lifetimeMs: number;
  /** Longest a lock is held: the provider call's own timeout plus a margin. */
  lockMs: number;
  budget?: ExtractionBudget;
  logger?: Logger;
  /** Put a batch this replica had not seen into its pool directly (more than one found at once). */
  adopt(batch: SharedBatch): void;
}

type Outcome =
  | { kind: 'batch'; batch: SharedBatch }
  | { kind: 'failed'; error: SwivelError }
  /** Redis went away while waiting: extract locally. */
  | { kind: 'local' }
  /** No notice within a slice: look at the sorted set and the lock again. */
  | { kind: 'timeout' };

/** Only the release of a lock we hold: a lapsed lock may since belong to another replica. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** How long a waiting demand trusts the bus before it looks at the sorted set (and the lock) again. */
const WAIT_SLICE_MS = 1_000;

export class SharedSource implements EndpointSource {
  readonly name: string;
  private readonly waiters = new Map<string, Set<(o: Outcome) => void>>();
  /** Batch id → expiry, for batches already in the local pool. */
  private readonly seen = new Map<string, number>();
  private readonly log: Logger;
  /** Calls this replica made to the provider, and extractions served from another replica's batch. */
  apiCalls = 0;
  servedShared = 0;

  constructor(private readonly options: SharedSourceOptions) {
    this.name = options.inner.name;
    this.log = (options.logger ?? silentLogger).child({ component: 'shared-pool' });
    options.link.events.on((e) => {
      if (e.type === 'down') this.releaseAll({ kind: 'local' });
    });
  }

  async extract(query: ExtractQuery, signal?: AbortSignal): Promise<ParseResult> {
    const { link, keys, lockMs } = this.options;
    const poolKey = geoKey(query);
    // Real time: the lock lapses on Redis' clock. Twice its life covers a holder that vanished.
    const deadline = Date.now() + 2 * lockMs;
    while (link.up && Date.now() < deadline) {
      // Registered before looking, so a notice that lands between the look and the lock is not lost.
      const waiter = this.waitFor(poolKey);
      try {
        const unseen = await this.unseen(poolKey);
        if (unseen === FAILED) break;
        if (unseen.length > 0) return this.serve(unseen);
        const lock = await link.call((c) =>
          c.set(keys.lock(poolKey), this.options.replicaId, { condition: 'NX', expiration: { type: 'PX', value: lockMs } }),
        );
        if (lock === FAILED) break;
        if (lock === 'OK') {
          // The previous holder may have published and released between our look and our lock.
          const early = waiter.peek();
          const late = early?.kind === 'batch' ? [early.batch] : await this.unseen(poolKey);
          if (late !== FAILED && late.length > 0) {
            this.release(poolKey);
            return this.serve(late);
          }
          return await this.extractForAll(poolKey, query, signal);
        }
        // Notices are at-most-once: look again every so often instead of trusting one to arrive.
        const outcome = await waiter.wait(Math.min(WAIT_SLICE_MS, lockMs), signal);
        if (outcome.kind === 'batch') return this.serve([outcome.batch]);
        if (outcome.kind === 'failed') throw outcome.error;
        if (outcome.kind === 'local') break;
      } finally {
        waiter.cancel();
      }
    }
    return this.extractLocally(query, signal);
  }

  /**
   * A notice from another replica. True when a demand here was waiting for it (it takes the batch
   * or the failure); false when nobody waits, and the caller adopts the batch into the pool.
   */
  offer(message: Extract<BusMessage, { t: 'batch' | 'failed' }>): boolean {
    const pool = message.t === 'batch' ? message.batch.pool : message.pool;
    const set = this.waiters.get(pool);
    if (set === undefined || set.size === 0) return false;
    const outcome: Outcome =
      message.t === 'batch' ? { kind: 'batch', batch: message.batch } : { kind: 'failed', error: peerError(message) };
    for (const resolve of [...set]) resolve(outcome);
    return true;
  }

  hasSeen(id: string): boolean {
    return this.seen.has(id);
  }

  markSeen(batch: SharedBatch): void {
    const now = this.options.clock.now();
    for (const [id, expiresAt] of this.seen) if (expiresAt <= now) this.seen.delete(id);
    this.seen.set(batch.id, batch.expiresAt);
  }

  /** Batches of `poolKey` in Redis that still have a useful life and are not in the local pool. */
  async unseen(poolKey: string): Promise<SharedBatch[] | typeof FAILED> {
    // A batch about to expire would not lift the pool above its look-ahead: the refresher's own window.
    const minLifeMs = Math.min(30_000, Math.max(1_000, this.options.lifetimeMs / 5));
    const from = this.options.clock.now() + minLifeMs;
    const members = await this.options.link.call((c) => c.zRange(this.options.keys.pool(poolKey), from, '+inf', { BY: 'SCORE' }));
    if (members === FAILED) return FAILED;
    const out: SharedBatch[] = [];
    for (const m of members) {
      const batch = decodeBatch(m);
      if (batch !== undefined && batch.pool === poolKey && !this.seen.has(batch.id)) out.push(batch);
    }
    return out;
  }

  /** Put a batch where the others find it: sorted set (pruned of the expired) and a notice. */
  async publish(batch: SharedBatch): Promise<void> {
    const { keys, link, clock, replicaId, lifetimeMs } = this.options;
    const key = keys.pool(batch.pool);
    const member = encode(batch);
    await link.call((c) =>
      c
        .multi()
        .zAdd(key, { score: batch.expiresAt, value: member })
        .zRemRangeByScore(key, '-inf', clock.now())
        // Garbage bound: a sub-pool nobody extracts for any more leaves nothing behind for long.
        .pExpire(key, lifetimeMs + 60_000)
        .publish(keys.bus, encode({ t: 'batch', from: replicaId, batch }))
        .exec(),
    );
  }

  /** The freshest batch for the refresher to ingest; any others go into the pool directly. */
  private serve(batches: SharedBatch[]): ParseResult {
    let best = batches[0]!;
    for (const b of batches) if (b.expiresAt > best.expiresAt) best = b;
    for (const b of batches) if (b !== best) this.options.adopt(b);
    this.markSeen(best);
    this.servedShared++;
    this.log.debug({ pool: best.pool, endpoints: best.endpoints.length }, 'served a batch another replica extracted');
    // A copy: the refresher filters its array in place.
    return { endpoints: best.endpoints.slice(), malformed: 0, expiresAt: best.expiresAt };
  }

  private async extractForAll(poolKey: string, query: ExtractQuery, signal: AbortSignal | undefined): Promise<ParseResult> {
    try {
      const refused = await this.options.budget?.take();
      if (refused !== undefined) throw refused;
      this.apiCalls++;
      const result = await this.options.inner.extract(query, signal);
      if (result.endpoints.length === 0) {
        this.announceFailure(poolKey, new SwivelError('provider_empty', 'the provider returned no endpoints'));
        return result;
      }
      const batch: SharedBatch = {
        id: randomUUID(),
        pool: poolKey,
        expiresAt: this.options.clock.now() + this.options.lifetimeMs,
        endpoints: result.endpoints.slice(),
      };
      this.markSeen(batch);
      await this.publish(batch);
      return { ...result, expiresAt: batch.expiresAt };
    } catch (err) {
      if (signal?.aborted !== true) this.announceFailure(poolKey, err);
      throw err;
    } finally {
      this.release(poolKey);
    }
  }

  private release(poolKey: string): void {
    const { link, keys, replicaId } = this.options;
    void link.call((c) => c.eval(RELEASE, { keys: [keys.lock(poolKey)], arguments: [replicaId] }));
  }

  private announceFailure(pool: string, err: unknown): void {
    const error = isSwivelError(err) ? err : new SwivelError('internal', 'extraction failed unexpectedly');
    const retryAfter = error.details?.['retryAfter'];
    const message: BusMessage = { t: 'failed', from: this.options.replicaId, pool, code: error.code, message: error.message };
    if (typeof retryAfter === 'string') message.retryAfter = retryAfter;
    this.options.link.publish(this.options.keys.bus, encode(message));
  }

  private async extractLocally(query: ExtractQuery, signal: AbortSignal | undefined): Promise<ParseResult> {
    const refused = await this.options.budget?.take();
    if (refused !== undefined) throw refused;
    this.apiCalls++;
    return this.options.inner.extract(query, signal);
  }

  private waitFor(poolKey: string): {
    wait(ms: number, signal: AbortSignal | undefined): Promise<Outcome>;
    /** What has arrived already, without waiting. */
    peek(): Outcome | undefined;
    cancel(): void;
  } {
    let got: Outcome | undefined;
    let settle: (o: Outcome) => void = () => undefined;
    const settled = new Promise<Outcome>((resolve) => {
      settle = (o) => {
        got ??= o;
        resolve(o);
      };
    });
    let set = this.waiters.get(poolKey);
    if (set === undefined) this.waiters.set(poolKey, (set = new Set()));
    set.add(settle);
    const cancel = (): void => {
      set.delete(settle);
      if (set.size === 0 && this.waiters.get(poolKey) === set) this.waiters.delete(poolKey);
    };
    return {
      cancel,
      peek: () => got,
      wait: (ms, signal) => {
        // A real timer: the lock lapses on Redis' clock, not on the injected one.
        const timer = setTimeout(() => settle({ kind: 'timeout' }), ms).unref();
        const onAbort = (): void => settle({ kind: 'local' });
        signal?.addEventListener('abort', onAbort, { once: true });
        return settled.finally(() => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        });
      },
    };
  }

  private releaseAll(outcome: Outcome): void {
    for (const set of this.waiters.values()) for (const resolve of [...set]) resolve(outcome);
  }
}

/** The holder's failure as this replica's own, with a code from our table (or provider_error). */
function peerError(message: Extract<BusMessage, { t: 'failed' }>): SwivelError {
  const code: ErrorCode = Object.hasOwn(ERRORS, message.code) ? (message.code as ErrorCode) : 'provider_error';
  const details: Record<string, unknown> = { extractedBy: 'another replica' };
  if (message.retryAfter !== undefined) details.retryAfter = message.retryAfter;
  return new SwivelError(code, message.message, { details });
}
