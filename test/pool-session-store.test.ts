/**
 * The pool talks to sessions only through the SessionStore interface: a per-session TTL, touch,
 * and a second, shared tier consulted on a local miss (what the Redis store plugs into). The
 * shared tier here is an in-process map both pools see, standing in for two replicas.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import type { Endpoint } from '../src/pool/endpoint.js';
import { EndpointPool } from '../src/pool/pool.js';
import { MemorySessionStore } from '../src/pool/sessions/memory.js';
import type { SessionStore } from '../src/pool/sessions/store.js';
import { parsed } from './helpers/pool.js';

const LIFE = 600_000;

/** Local LRU in front, a shared id map behind it; bind publishes, lookup reads. */
class TwoTierStore extends MemorySessionStore implements SessionStore {
  lookups = 0;
  constructor(
    clock: ManualClock,
    private readonly shared: Map<string, string>,
  ) {
    super({ ttlMs: 60_000, max: 100, clock });
  }
  override bind(key: string, endpoint: Endpoint, ttlMs?: number): void {
    super.bind(key, endpoint, ttlMs);
    this.shared.set(key, endpoint.id);
  }
  lookup(key: string): Promise<string | undefined> {
    this.lookups++;
    return Promise.resolve(this.shared.get(key));
  }
}

function replica(clock: ManualClock, store: SessionStore): EndpointPool {
  const pool = new EndpointPool({
    defaultGeo: {},
    rotate: 'round-robin',
    sessionTtlMs: 60_000,
    sessionMax: 100,
    acquireTimeoutMs: 1_000,
    idleDropMs: 600_000,
    clock,
    sessionStore: store,
  });
  // The same endpoints on every replica: a shared pool.
  pool.defaultPool.ingest(
    [1, 2, 3, 4].map((n) => parsed(n)),
    clock.now(),
    LIFE,
  );
  return pool;
}

describe('MemorySessionStore as the SessionStore', () => {
  it('a per-session TTL overrides the store default', () => {
    const clock = new ManualClock();
    const store = new MemorySessionStore({ ttlMs: 60_000, max: 10, clock });
    const pool = replica(clock, store);
    const e = pool.select(pool.defaultPool, undefined)!;
    store.bind('k#short', e, 1_000);
    store.bind('k#long', e);
    clock.advance(1_001);
    expect(store.get('k#short')).toBeUndefined();
    expect(store.get('k#long')).toBe(e);
  });

  it('touch restarts the idle TTL', () => {
    const clock = new ManualClock();
    const store = new MemorySessionStore({ ttlMs: 1_000, max: 10, clock });
    const pool = replica(clock, store);
    const e = pool.select(pool.defaultPool, undefined)!;
    store.bind('k#a', e);
    clock.advance(900);
    store.touch('k#a');
    clock.advance(900);
    expect(store.get('k#a')).toBe(e);
    clock.advance(1_001);
    expect(store.get('k#a')).toBeUndefined();
  });
});

describe('a shared session tier', () => {
  it('a session bound on one replica keeps its endpoint on another', async () => {
    const clock = new ManualClock();
    const shared = new Map<string, string>();
    const a = replica(clock, new TwoTierStore(clock, shared));
    const bStore = new TwoTierStore(clock, shared);
    const b = replica(clock, bStore);
    // Move b's round-robin on, so without the shared tier it would pick another endpoint.
    b.select(b.defaultPool, undefined);
    b.select(b.defaultPool, undefined);

    const onA = await a.acquire({ geo: {}, session: 'cart' });
    const onB = await b.acquire({ geo: {}, session: 'cart' });
    expect(onB.id).toBe(onA.id);
    expect(bStore.lookups).toBe(1);
    // Now local on b: the hot path answers without another lookup.
    expect(b.select(b.defaultPool, 'cart')!.id).toBe(onA.id);
    expect(bStore.lookups).toBe(1);
  });

  it('the synchronous path defers a local miss to acquire instead of binding blindly', () => {
    const clock = new ManualClock();
    const pool = replica(clock, new TwoTierStore(clock, new Map()));
    expect(pool.select(pool.defaultPool, 'new-session')).toBeUndefined();
    expect(pool.select(pool.defaultPool, undefined)).toBeDefined();
  });

  it('an unknown session on the shared tier gets a new endpoint, published for the others', async () => {
    const clock = new ManualClock();
    const shared = new Map<string, string>();
    const pool = replica(clock, new TwoTierStore(clock, shared));
    const e = await pool.acquire({ geo: {}, session: 'fresh' });
    expect(shared.get(`${pool.defaultPool.key}#fresh`)).toBe(e.id);
  });
});
