/**
 * The in-process session store: session key → endpoint, in an LRU with an idle TTL (each use restarts the TTL)
 * and a size cap, so a scraper that invents a session id per request cannot grow memory without
 * bound. Time comes from the injected clock (lru-cache's `perf` option) so tests move it by hand.
 */
import { LRUCache } from 'lru-cache';
import type { Clock } from '../../clock.js';
import type { Endpoint } from '../endpoint.js';
import type { SessionEntry, SessionStore } from './store.js';

export interface MemorySessionStoreOptions {
  ttlMs: number;
  max: number;
  clock: Clock;
}

export class MemorySessionStore implements SessionStore {
  private readonly cache: LRUCache<string, Endpoint>;
  private readonly clock: Clock;

  constructor(options: MemorySessionStoreOptions) {
    this.clock = options.clock;
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

  bind(key: string, endpoint: Endpoint, ttlMs?: number): void {
    this.cache.set(key, endpoint, ttlMs === undefined ? undefined : { ttl: ttlMs });
  }

  touch(key: string): void {
    // get() with updateAgeOnGet restarts the TTL; the value is not needed.
    this.cache.get(key);
  }

  forget(key: string): void {
    this.cache.delete(key);
  }

  forgetPrefix(prefix: string): void {
    for (const key of this.cache.keys()) if (key.startsWith(prefix)) this.cache.delete(key);
  }

  /** Live sessions per sub-pool key. */
  countByPool(): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.cache.values()) out.set(e.poolKey, (out.get(e.poolKey) ?? 0) + 1);
    return out;
  }

  snapshot(): SessionEntry[] {
    // lru-cache dumps `start` against Date.now() (portable across processes); turn the age it
    // implies back into our clock's time, which is what restore() and the TTL checks run on.
    const wall = Date.now();
    const now = this.clock.now();
    const out: SessionEntry[] = [];
    for (const [key, entry] of this.cache.dump()) {
      const ttlMs = entry.ttl ?? 0;
      const age = entry.start === undefined ? 0 : wall - entry.start;
      if (ttlMs > 0 && age >= ttlMs) continue;
      out.push({ key, endpoint: entry.value, ttlMs, touchedAt: now - age });
    }
    return out;
  }

  restore(entry: SessionEntry): void {
    this.cache.set(entry.key, entry.endpoint, { ttl: entry.ttlMs, start: entry.touchedAt });
  }

  hasSessionsIn(poolKey: string): boolean {
    for (const e of this.cache.values()) if (e.poolKey === poolKey) return true;
    return false;
  }
}
