/**
 * Sticky sessions across replicas: the in-process LRU stays the first tier (the per-request hot
 * path never waits on Redis), and Redis holds session key → endpoint id with the same idle TTL
 * behind it. A bind is written through without waiting; a local miss costs one GET (`lookup`, which
 * the pool awaits before binding a new endpoint), so `session-abc` keeps its IP whichever replica a
 * request lands on. Uses keep the Redis entry alive, at most one PEXPIRE per quarter TTL per
 * session, so a session busy on one replica does not idle out for the others.
 * While Redis is away every call answers at once from the local tier alone.
 */
import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock.js';
import type { Endpoint } from '../pool/endpoint.js';
import { MemorySessionStore } from '../pool/sessions/memory.js';
import type { SessionEntry, SessionStore } from '../pool/sessions/store.js';
import type { ClusterKeys } from './keys.js';
import { FAILED, type RedisLink } from './link.js';

export interface SharedSessionStoreOptions {
  ttlMs: number;
  max: number;
  clock: Clock;
  link: RedisLink;
  keys: ClusterKeys;
}

interface Written {
  ttlMs: number;
  /** When the Redis entry's TTL was last (re)started. */
  at: number;
}

export class SharedSessionStore implements SessionStore {
  private readonly local: MemorySessionStore;
  /** Per local session: its TTL and when Redis last heard of it. Same cap as the sessions. */
  private readonly written: LRUCache<string, Written>;
  /** Redis round trips made for lookups, and how many found a session (bench, tests). */
  lookups = 0;
  lookupHits = 0;

  constructor(private readonly options: SharedSessionStoreOptions) {
    this.local = new MemorySessionStore({ ttlMs: options.ttlMs, max: options.max, clock: options.clock });
    this.written = new LRUCache<string, Written>({ max: options.max });
  }

  get size(): number {
    return this.local.size;
  }

  get(key: string): Endpoint | undefined {
    const e = this.local.get(key);
    if (e !== undefined) this.keepAlive(key);
    return e;
  }

  /** --state-file saves the local tier: Redis keeps its own copy for the other replicas. */
  snapshot(): SessionEntry[] {
    return this.local.snapshot();
  }

  restore(entry: SessionEntry): void {
    this.local.restore(entry);
  }

  bind(key: string, endpoint: Endpoint, ttlMs?: number): void {
    this.local.bind(key, endpoint, ttlMs);
    const ttl = ttlMs ?? this.options.ttlMs;
    this.written.set(key, { ttlMs: ttl, at: this.options.clock.now() });
    const { link, keys } = this.options;
    void link.call((c) => c.set(keys.session(key), endpoint.id, { expiration: { type: 'PX', value: ttl } }));
  }

  touch(key: string): void {
    this.local.touch(key);
    this.keepAlive(key);
  }

  forget(key: string): void {
    this.local.forget(key);
    this.written.delete(key);
    const { link, keys } = this.options;
    void link.call((c) => c.del(keys.session(key)));
  }

  /** Local only: a sub-pool dropped here may still be in use on another replica. */
  forgetPrefix(prefix: string): void {
    this.local.forgetPrefix(prefix);
  }

  hasSessionsIn(poolKey: string): boolean {
    return this.local.hasSessionsIn(poolKey);
  }

  countByPool(): Map<string, number> {
    return this.local.countByPool();
  }

  async lookup(key: string): Promise<string | undefined> {
    const { link, keys } = this.options;
    if (!link.up) return undefined;
    this.lookups++;
    const id = await link.call((c) => c.get(keys.session(key)));
    if (id === FAILED || typeof id !== 'string') return undefined;
    this.lookupHits++;
    return id;
  }

  private keepAlive(key: string): void {
    const w = this.written.get(key);
    if (w === undefined) return;
    const now = this.options.clock.now();
    if (now - w.at < w.ttlMs / 4) return;
    w.at = now;
    const { link, keys } = this.options;
    if (link.up) void link.call((c) => c.pExpire(keys.session(key), w.ttlMs));
  }
}
