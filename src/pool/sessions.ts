/**
 * Sticky sessions: session key → endpoint, in an LRU with an idle TTL (each use restarts the TTL)
 * and a size cap, so a scraper that invents a session id per request cannot grow memory without
 * bound. Time comes from the injected clock (lru-cache's `perf` option) so tests move it by hand.
 */
import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock.js';
import type { Endpoint } from './endpoint.js';

export interface SessionTableOptions {
  ttlMs: number;
  max: number;
  clock: Clock;
}

export class SessionTable {
  private readonly cache: LRUCache<string, Endpoint>;

  constructor(options: SessionTableOptions) {
    this.cache = new LRUCache<string, Endpoint>({
      max: options.max,
      ttl: options.ttlMs,
      updateAgeOnGet: true,
      // Expired entries are found lazily on get; no timer per entry.
      ttlAutopurge: false,
      // Read the injected clock on every check; the default caches it for 1 ms of real time,
      // which makes a ManualClock (and fake timers) see stale time.
      ttlResolution: 0,
      perf: { now: () => options.clock.now() },
    });
  }

  get size(): number {
    return this.cache.size;
  }

  /** The endpoint bound to `key`, refreshing its idle TTL; undefined when none or idled out. */
  get(key: string): Endpoint | undefined {
    return this.cache.get(key);
  }

  /** `ttlMs` overrides the table's idle TTL for this session (a client-asked lifetime). */
  bind(key: string, endpoint: Endpoint, ttlMs?: number): void {
    this.cache.set(key, endpoint, ttlMs === undefined ? undefined : { ttl: ttlMs });
  }

  delete(key: string): void {
    this.cache.delete(key);
  }

  /** Forget every session whose key starts with `prefix` (a dropped sub-pool). */
  deletePrefix(prefix: string): void {
    for (const key of this.cache.keys()) if (key.startsWith(prefix)) this.cache.delete(key);
  }

  /** Whether any live session points into the sub-pool `poolKey`. */
  hasSessionsIn(poolKey: string): boolean {
    for (const e of this.cache.values()) if (e.poolKey === poolKey) return true;
    return false;
  }
}

/** The session key: sub-pool key and client's id, so `session-a` in two countries are two sessions. */
export function sessionKey(poolKey: string, sessionId: string): string {
  return `${poolKey}#${sessionId}`;
}
