/**
 * `--state-file`: the pool survives a restart. Unexpired endpoints (with expiry, health and use
 * counters), live sessions and each sub-pool's measured demand are saved every minute and on a
 * clean stop, and loaded at start, so a restart within the endpoint lifetime extracts nothing and
 * a session leaves through the IP it had.
 *
 * Loading never stands in the way of a start: a missing file is a first run; an unreadable,
 * corrupt or foreign one is one warning line and a normal start. An expired entry is never loaded,
 * and nothing is trusted beyond what this run's config allows (lifetime cap, address filter).
 * Saving failures are logged when they start and when they end, not every minute.
 */
import { every, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import { isUsable } from '../pool/endpoint.js';
import type { EndpointPool, RestoredEndpoint } from '../pool/pool.js';
import type { ParsedEndpoint } from '../provider/types.js';
import type { Refresher } from '../refresh/refresher.js';
import {
  decodeState,
  encodeState,
  STATE_FORMAT,
  STATE_VERSION,
  type PoolRecord,
  type SessionRecord,
  type StateDocument,
} from './format.js';
import { readIfExists, writeFileAtomic } from './file.js';

export const SAVE_INTERVAL_MS = 60_000;

export interface StateKeeperOptions {
  path: string;
  pool: EndpointPool;
  refresher: Refresher;
  clock: Clock;
  /** The endpoint source's name; a file written for another source is foreign. */
  source: string;
  /** This run's endpoint lifetime: a saved expiry beyond extractedAt + lifetimeMs is cut back. */
  lifetimeMs: number;
  /** This run's ingest filter (private addresses, own ports): saved endpoints pass it too. */
  reject?: (endpoint: ParsedEndpoint) => string | undefined;
  logger?: Logger;
  intervalMs?: number;
}

export interface LoadResult {
  endpoints: number;
  sessions: number;
  /** Entries left out: expired, filtered, or (sessions) idled out or bound to an endpoint not loaded. */
  skipped: number;
}

export class StateKeeper {
  private readonly log: Logger;
  private stopTimer: (() => void) | undefined;
  private saving: Promise<void> | undefined;
  private failing = false;
  /** Saves completed (tests, status). */
  saves = 0;

  constructor(private readonly options: StateKeeperOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'state' });
  }

  /** Read the file and put what is still good into the pool; undefined when nothing was loaded. */
  async load(): Promise<LoadResult | undefined> {
    const { path, source } = this.options;
    let text: string | undefined;
    try {
      text = await readIfExists(path);
    } catch (err) {
      this.log.warn({ path, code: (err as NodeJS.ErrnoException).code }, 'state file unreadable; starting without it');
      return undefined;
    }
    if (text === undefined) return undefined;
    const decoded = decodeState(text, source);
    if (!decoded.ok) {
      this.log.warn({ path, reason: decoded.reason }, 'state file ignored; starting without it');
      return undefined;
    }
    const result = this.restore(decoded.state);
    this.log.info({ path, ...result }, 'state restored');
    return result;
  }

  /** Save every minute on the injected clock. */
  start(): void {
    if (this.stopTimer !== undefined) return;
    this.stopTimer = every(this.options.clock, this.options.intervalMs ?? SAVE_INTERVAL_MS, () => void this.save());
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  /** Write the file now; joins a save already running. Never rejects. */
  save(): Promise<void> {
    this.saving ??= this.write().finally(() => {
      this.saving = undefined;
    });
    return this.saving;
  }

  /** Resolves once no save is running (tests step a manual clock, then wait for the write). */
  settled(): Promise<void> {
    return this.saving ?? Promise.resolve();
  }

  private async write(): Promise<void> {
    const { path } = this.options;
    try {
      await writeFileAtomic(path, encodeState(this.snapshot()));
      this.saves++;
      if (this.failing) this.log.info({ path }, 'state file written again');
      this.failing = false;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'internal';
      if (!this.failing) this.log.warn({ path, code }, 'cannot write the state file; will retry every minute');
      else this.log.debug({ path, code }, 'state file still not writable');
      this.failing = true;
    }
  }

  /** What is worth keeping right now: unexpired endpoints, live sessions on them, demand. */
  snapshot(): StateDocument {
    const { pool, refresher, clock, source } = this.options;
    const now = clock.now();
    const pools: PoolRecord[] = [];
    for (const sub of pool.allSubPools()) {
      const endpoints: PoolRecord['endpoints'] = [];
      sub.forEach((e) => {
        if (e.retired || now >= e.expiresAt) return;
        endpoints.push({
          host: e.host,
          port: e.port,
          ...(e.username === undefined ? {} : { username: e.username }),
          ...(e.password === undefined ? {} : { password: e.password }),
          extractedAt: e.extractedAt,
          expiresAt: e.expiresAt,
          health: e.health,
          ejectedUntil: e.ejectedUntil,
          ejections: e.ejections,
          consecutiveFailures: e.consecutiveFailures,
          uses: e.uses,
          successes: e.successes,
          failures: e.failures,
          lastUsedAt: e.lastUsedAt,
        });
      });
      pools.push({ key: sub.key, geo: sub.geo, demand: refresher.demandSnapshot(sub), endpoints });
    }
    const sessions: SessionRecord[] = [];
    for (const s of pool.sessionSnapshot()) {
      if (s.endpoint.retired || now >= s.endpoint.expiresAt) continue;
      sessions.push({ key: s.key, pool: s.endpoint.poolKey, endpoint: s.endpoint.id, ttlMs: s.ttlMs, touchedAt: s.touchedAt });
    }
    return { format: STATE_FORMAT, version: STATE_VERSION, savedAt: now, source, pools, sessions };
  }

  private restore(state: StateDocument): LoadResult {
    const { pool, refresher, clock, lifetimeMs, reject } = this.options;
    const now = clock.now();
    let endpoints = 0;
    let skipped = 0;
    for (const record of state.pools) {
      const keep: RestoredEndpoint[] = [];
      for (const e of record.endpoints) {
        // Never beyond what this run allows, and never an expired one.
        const expiresAt = Math.min(e.expiresAt, e.extractedAt + lifetimeMs);
        if (now >= expiresAt || reject?.(e) !== undefined) {
          skipped++;
          continue;
        }
        keep.push({ ...e, expiresAt });
      }
      const isDefault = record.key === pool.defaultPool.key;
      // A sub-pool with nothing left to restore is not created: it would only be dropped again.
      if (keep.length === 0 && !isDefault) continue;
      const sub = pool.subPoolFor(record.geo);
      for (const e of keep) if (pool.restore(sub, e) !== undefined) endpoints++;
      if (record.demand !== undefined) refresher.restoreDemand(sub, record.demand);
    }
    let sessions = 0;
    const subs = new Map([...pool.allSubPools()].map((sub) => [sub.key, sub]));
    for (const s of state.sessions) {
      const endpoint = subs.get(s.pool)?.byEndpointId(s.endpoint);
      // The key must point into the sub-pool it names: `pool#id` (sessions/store.ts sessionKey).
      if (endpoint === undefined || !isUsable(endpoint, now) || s.touchedAt + s.ttlMs <= now || !s.key.startsWith(`${s.pool}#`)) {
        skipped++;
        continue;
      }
      pool.restoreSession({ key: s.key, endpoint, ttlMs: s.ttlMs, touchedAt: s.touchedAt });
      sessions++;
    }
    return { endpoints, sessions, skipped };
  }
}
