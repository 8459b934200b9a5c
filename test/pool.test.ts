import { describe, it, expect } from 'vitest';
import type { ManualClock } from '../src/clock.js';
import { SwivelError } from '../src/errors.js';
import type { Endpoint } from '../src/pool/endpoint.js';
import { geoKey } from '../src/pool/geo-key.js';
import type { EndpointPool, EndpointPoolOptions, Supplier } from '../src/pool/pool.js';
import type { SubPool } from '../src/pool/sub-pool.js';
import { makePool as makeTestPool, parsed } from './helpers/pool.js';

const LIFE = 60_000;
const IDLE_DROP = 600_000;

/** Long sessions, many of them, and a short acquire timeout: what these tests exercise. */
function makePool(options: Partial<Omit<EndpointPoolOptions, 'clock'>> = {}): { pool: EndpointPool; clock: ManualClock } {
  return makeTestPool({ sessionTtlMs: 3_600_000, sessionMax: 1_000, acquireTimeoutMs: 50, idleDropMs: IDLE_DROP, ...options });
}

/** A stand-in for the refresher: counts demands and does whatever `onDemand` says. */
class FakeSupplier implements Supplier {
  demands = 0;
  failure: SwivelError | undefined;
  constructor(private readonly onDemand: (sub: SubPool) => Promise<void>) {}
  demand(sub: SubPool): Promise<void> {
    this.demands++;
    return this.onDemand(sub);
  }
  lastFailure(): SwivelError | undefined {
    return this.failure;
  }
}

async function rejection(p: Promise<unknown>): Promise<SwivelError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SwivelError);
    return err as SwivelError;
  }
  throw new Error('expected a rejection');
}

describe('EndpointPool sub-pools', () => {
  it('creates the default sub-pool from the default geo', () => {
    const { pool } = makePool({ defaultGeo: { cc: 'de' } });
    expect(pool.defaultPool.isDefault).toBe(true);
    expect(pool.defaultPool.key).toBe(geoKey({ cc: 'de' }));
    expect(pool.subPoolFor({ cc: 'de' })).toBe(pool.defaultPool);
  });

  it('creates one non-default sub-pool per geo key', () => {
    const { pool } = makePool();
    const us = pool.subPoolFor({ cc: 'us' });
    expect(us.isDefault).toBe(false);
    expect(pool.subPoolFor({ cc: 'us' })).toBe(us);
    expect(pool.subPoolFor({ cc: 'us', city: 'boston' })).not.toBe(us);
    expect([...pool.allSubPools()]).toHaveLength(3);
  });

  it('subPoolOf finds an endpoint’s sub-pool by its key', () => {
    const { pool, clock } = makePool();
    const us = pool.subPoolFor({ cc: 'us' });
    us.ingest([parsed(1)], clock.now(), LIFE);
    expect(pool.subPoolOf(us.endpoints[0]!)).toBe(us);
  });
});

describe('EndpointPool.select', () => {
  it('rotates without a session, counting uses and last use', () => {
    const { pool, clock } = makePool();
    const sub = pool.defaultPool;
    sub.ingest([parsed(1), parsed(2)], clock.now(), LIFE);
    const [a, b] = sub.endpoints;
    clock.advance(1_000);
    expect(pool.select(sub, undefined)).toBe(a);
    expect(pool.select(sub, undefined)).toBe(b);
    expect(pool.select(sub, undefined)).toBe(a);
    expect(a!.uses).toBe(2);
    expect(b!.uses).toBe(1);
    expect(a!.lastUsedAt).toBe(clock.now());
    expect(sub.lastDemandAt).toBe(clock.now());
  });

  it('keeps one endpoint per session while rotation moves on for others', () => {
    const { pool, clock } = makePool();
    const sub = pool.defaultPool;
    sub.ingest([parsed(1), parsed(2), parsed(3)], clock.now(), LIFE);
    const first = pool.select(sub, 'alpha');
    for (let i = 0; i < 5; i++) {
      expect(pool.select(sub, 'alpha')).toBe(first);
      pool.select(sub, undefined);
    }
    expect(pool.boundEndpoint(sub, 'alpha')).toBe(first);
    expect(pool.sessionCount).toBe(1);
    const other = pool.select(sub, 'beta');
    expect(other).toBeDefined();
    expect(pool.sessionCount).toBe(2);
  });

  it('keeps sessions of the same id apart in different sub-pools', () => {
    const { pool, clock } = makePool();
    const de = pool.subPoolFor({ cc: 'de' });
    const us = pool.subPoolFor({ cc: 'us' });
    de.ingest([parsed(1)], clock.now(), LIFE);
    us.ingest([parsed(2)], clock.now(), LIFE);
    expect(pool.select(de, 's')).toBe(de.endpoints[0]);
    expect(pool.select(us, 's')).toBe(us.endpoints[0]);
    expect(pool.select(de, 's')).toBe(de.endpoints[0]);
  });

  it('re-binds a session whose endpoint expired, and sticks to the new one', () => {
    const { pool, clock } = makePool();
    const sub = pool.defaultPool;
    sub.ingest([parsed(1)], clock.now(), 10_000);
    sub.ingest([parsed(2)], clock.now(), LIFE);
    const [shortLived, longLived] = sub.endpoints;
    expect(pool.select(sub, 's')).toBe(shortLived);
    clock.advance(10_000);
    expect(pool.select(sub, 's')).toBe(longLived);
    expect(pool.boundEndpoint(sub, 's')).toBe(longLived);
    expect(pool.select(sub, 's')).toBe(longLived);
  });

  it('re-binds a session whose endpoint was ejected', () => {
    const { pool, clock } = makePool();
    const sub = pool.defaultPool;
    sub.ingest([parsed(1), parsed(2)], clock.now(), LIFE);
    const bound = pool.select(sub, 's')!;
    bound.health = 'ejected';
    const next = pool.select(sub, 's');
    expect(next).toBeDefined();
    expect(next).not.toBe(bound);
    expect(pool.boundEndpoint(sub, 's')).toBe(next);
  });

  it('re-binds when the bound endpoint is in avoid (it failed for this request)', () => {
    const { pool, clock } = makePool();
    const sub = pool.defaultPool;
    sub.ingest([parsed(1), parsed(2)], clock.now(), LIFE);
    const bound = pool.select(sub, 's')!;
    const next = pool.select(sub, 's', [bound]);
    expect(next).not.toBe(bound);
    expect(pool.select(sub, 's')).toBe(next);
  });

  it('returns undefined and keeps the old binding when nothing else is usable', () => {
    const { pool, clock } = makePool();
    const sub = pool.defaultPool;
    sub.ingest([parsed(1)], clock.now(), LIFE);
    const bound = pool.select(sub, 's')!;
    bound.health = 'ejected';
    expect(pool.select(sub, 's')).toBeUndefined();
    expect(pool.boundEndpoint(sub, 's')).toBe(bound);
  });

  it('forgetSession drops the binding', () => {
    const { pool, clock } = makePool();
    const sub = pool.defaultPool;
    sub.ingest([parsed(1), parsed(2)], clock.now(), LIFE);
    pool.select(sub, 's');
    pool.forgetSession(sub.key, 's');
    expect(pool.boundEndpoint(sub, 's')).toBeUndefined();
    expect(pool.sessionCount).toBe(0);
  });
});

describe('EndpointPool.acquire', () => {
  it('answers at once when an endpoint is usable, without asking the supplier', async () => {
    const { pool, clock } = makePool();
    pool.defaultPool.ingest([parsed(1)], clock.now(), LIFE);
    const supplier = new FakeSupplier(() => new Promise(() => {}));
    pool.setSupplier(supplier);
    await expect(pool.acquire({ geo: {} })).resolves.toBe(pool.defaultPool.endpoints[0]);
    expect(supplier.demands).toBe(0);
  });

  it('waits for the supplier to stock the sub-pool', async () => {
    const { pool, clock } = makePool({ acquireTimeoutMs: 5_000 });
    const supplier = new FakeSupplier(async (sub) => {
      await Promise.resolve();
      sub.ingest([parsed(7)], clock.now(), LIFE);
    });
    pool.setSupplier(supplier);
    const e = await pool.acquire({ geo: { cc: 'de' }, session: 's' });
    expect(e.id).toBe('203.0.113.7:8007');
    expect(e.poolKey).toBe(geoKey({ cc: 'de' }));
    expect(supplier.demands).toBe(1);
    expect(pool.boundEndpoint(pool.subPoolFor({ cc: 'de' }), 's')).toBe(e);
  });

  it('rejects with pool_empty after the acquire timeout when the supplier is slow', async () => {
    const { pool, clock } = makePool({ acquireTimeoutMs: 50 });
    const supplier = new FakeSupplier(() => new Promise(() => {}));
    pool.setSupplier(supplier);
    let settled = false;
    const pending = rejection(pool.acquire({ geo: { cc: 'fr' } })).finally(() => (settled = true));
    await clock.advanceAsync(49);
    expect(settled).toBe(false);
    await clock.advanceAsync(1);
    const err = await pending;
    expect(err.code).toBe('pool_empty');
    expect(err.details).toEqual({ pool: geoKey({ cc: 'fr' }) });
    expect(err.message).toContain('cc=fr');
    expect(supplier.demands).toBe(1);
  });

  it('quotes the last failure in the timeout answer', async () => {
    const { pool, clock } = makePool({ acquireTimeoutMs: 30 });
    const supplier = new FakeSupplier(() => new Promise(() => {}));
    supplier.failure = new SwivelError('provider_timeout', 'extraction API did not answer in 10s');
    pool.setSupplier(supplier);
    const pending = rejection(pool.acquire({ geo: {} }));
    await clock.advanceAsync(30);
    const err = await pending;
    expect(err.code).toBe('pool_empty');
    expect(err.message).toContain('extraction API did not answer in 10s');
  });

  it('rejects at once with the supplier’s failure when the demand settles without endpoints', async () => {
    const { pool } = makePool({ acquireTimeoutMs: 5_000 });
    const supplier = new FakeSupplier(async () => {});
    supplier.failure = new SwivelError('provider_auth', 'the provider refused the app key');
    pool.setSupplier(supplier);
    // Settles with no clock movement at all: nothing waits out the 5 s acquire timeout.
    const err = await rejection(pool.acquire({ geo: { cc: 'de' } }));
    expect(err.code).toBe('pool_empty');
    expect(err.message).toContain('the provider refused the app key');
    expect(supplier.demands).toBe(1);
  });

  it('rejects after one round when everything left was already tried', async () => {
    const { pool, clock } = makePool({ acquireTimeoutMs: 5_000 });
    pool.defaultPool.ingest([parsed(1)], clock.now(), LIFE);
    const supplier = new FakeSupplier(async () => {});
    pool.setSupplier(supplier);
    const tried = pool.defaultPool.endpoints[0]!;
    const err = await rejection(pool.acquire({ geo: {} }, [tried]));
    expect(err.code).toBe('pool_empty');
    expect(supplier.demands).toBe(1);
  });

  it('rejects with pool_empty when there is no supplier at all', async () => {
    const { pool } = makePool({ acquireTimeoutMs: 5_000 });
    const started = Date.now();
    const err = await rejection(pool.acquire({ geo: {} }));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(err.code).toBe('pool_empty');
  });
});

describe('EndpointPool.dropIdle', () => {
  it('drops a non-default sub-pool idle for idleDropMs, retiring its endpoints', () => {
    const { pool, clock } = makePool();
    const us = pool.subPoolFor({ cc: 'us' });
    us.ingest([parsed(1)], clock.now(), 2 * IDLE_DROP);
    const e: Endpoint = us.endpoints[0]!;
    clock.advance(IDLE_DROP - 1);
    expect(pool.dropIdle()).toEqual([]);
    clock.advance(1);
    expect(pool.dropIdle()).toEqual([us]);
    expect(e.retired).toBe(true);
    expect([...pool.allSubPools()]).toEqual([pool.defaultPool]);
    expect(pool.subPoolFor({ cc: 'us' })).not.toBe(us);
  });

  it('never drops the default sub-pool', () => {
    const { pool, clock } = makePool();
    clock.advance(10 * IDLE_DROP);
    expect(pool.dropIdle()).toEqual([]);
    expect([...pool.allSubPools()]).toEqual([pool.defaultPool]);
  });

  it('a select counts as demand and keeps the sub-pool', () => {
    const { pool, clock } = makePool();
    const us = pool.subPoolFor({ cc: 'us' });
    clock.advance(IDLE_DROP - 1);
    pool.select(us, undefined);
    clock.advance(IDLE_DROP - 1);
    expect(pool.dropIdle()).toEqual([]);
  });

  it('keeps a sub-pool that still has a live session', () => {
    const { pool, clock } = makePool({ sessionTtlMs: 10 * IDLE_DROP });
    const us = pool.subPoolFor({ cc: 'us' });
    us.ingest([parsed(1)], clock.now(), 10 * IDLE_DROP);
    expect(pool.select(us, 's')).toBeDefined();
    clock.advance(2 * IDLE_DROP);
    expect(pool.dropIdle()).toEqual([]);
    pool.forgetSession(us.key, 's');
    expect(pool.dropIdle()).toEqual([us]);
  });
});
