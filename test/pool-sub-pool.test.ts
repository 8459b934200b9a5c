import { describe, it, expect } from 'vitest';
import { Endpoint, endpointId, isExpired, isUsable, upstreamAuthorization } from '../src/pool/endpoint.js';
import { SubPool } from '../src/pool/sub-pool.js';
import { createStrategy } from '../src/pool/strategies/index.js';
import { parsed } from './helpers/pool.js';

const T0 = 1_700_000_000_000;
const LIFE = 60_000;

function subPool(): SubPool {
  return new SubPool('de/*/*/*', { cc: 'de' }, false, createStrategy('round-robin'), T0);
}

describe('Endpoint', () => {
  it('is usable until just before expiresAt, and not at or after it', () => {
    const e = new Endpoint(parsed(1), 'k', T0, T0 + LIFE);
    expect(isUsable(e, T0)).toBe(true);
    expect(isUsable(e, T0 + LIFE - 1)).toBe(true);
    expect(isUsable(e, T0 + LIFE)).toBe(false);
    expect(isUsable(e, T0 + LIFE + 1)).toBe(false);
    expect(isExpired(e, T0 + LIFE - 1)).toBe(false);
    expect(isExpired(e, T0 + LIFE)).toBe(true);
  });

  it('is not usable while ejected or once retired', () => {
    const e = new Endpoint(parsed(1), 'k', T0, T0 + LIFE);
    e.health = 'ejected';
    expect(isUsable(e, T0)).toBe(false);
    e.health = 'healthy';
    expect(isUsable(e, T0)).toBe(true);
    e.retired = true;
    expect(isUsable(e, T0)).toBe(false);
  });

  it('ids are host:port, bracketing IPv6, and never carry credentials', () => {
    expect(endpointId('203.0.113.1', 8001)).toBe('203.0.113.1:8001');
    expect(endpointId('2001:db8::1', 8080)).toBe('[2001:db8::1]:8080');
    const e = new Endpoint(parsed(1, { username: 'u', password: 'secretpw' }), 'k', T0, T0 + LIFE);
    expect(e.id).toBe('203.0.113.1:8001');
    expect(e.poolKey).toBe('k');
    expect(e.extractedAt).toBe(T0);
  });

  it('builds Basic credentials only when the endpoint has a username', () => {
    const withAuth = new Endpoint(parsed(1, { username: 'user', password: 'pw' }), 'k', T0, T0 + LIFE);
    expect(upstreamAuthorization(withAuth)).toBe(`Basic ${Buffer.from('user:pw').toString('base64')}`);
    const noPassword = new Endpoint(parsed(2, { username: 'user' }), 'k', T0, T0 + LIFE);
    expect(upstreamAuthorization(noPassword)).toBe(`Basic ${Buffer.from('user:').toString('base64')}`);
    expect(upstreamAuthorization(new Endpoint(parsed(3), 'k', T0, T0 + LIFE))).toBeUndefined();
  });
});

describe('SubPool.ingest', () => {
  it('adds new endpoints with the sub-pool key and expiry now + lifetime', () => {
    const sub = subPool();
    expect(sub.ingest([parsed(1), parsed(2)], T0, LIFE)).toEqual({ added: 2, renewed: 0 });
    expect(sub.size).toBe(2);
    expect(sub.endpoints.map((e) => e.id)).toEqual(['203.0.113.1:8001', '203.0.113.2:8002']);
    for (const e of sub.endpoints) {
      expect(e.poolKey).toBe('de/*/*/*');
      expect(e.expiresAt).toBe(T0 + LIFE);
    }
  });

  it('dedupes by id, within one batch and across batches', () => {
    const sub = subPool();
    expect(sub.ingest([parsed(1), parsed(1)], T0, LIFE)).toEqual({ added: 1, renewed: 1 });
    expect(sub.ingest([parsed(1), parsed(2)], T0 + 1_000, LIFE)).toEqual({ added: 1, renewed: 1 });
    expect(sub.size).toBe(2);
  });

  it('renews the expiry of an id seen again, keeping its object, counters and health', () => {
    const sub = subPool();
    sub.ingest([parsed(1)], T0, LIFE);
    const first = sub.endpoints[0]!;
    first.uses = 5;
    first.health = 'healthy';
    sub.ingest([parsed(1)], T0 + 30_000, LIFE);
    expect(sub.endpoints).toHaveLength(1);
    expect(sub.endpoints[0]).toBe(first);
    expect(first.expiresAt).toBe(T0 + 30_000 + LIFE);
    expect(first.uses).toBe(5);
    expect(first.health).toBe('healthy');
  });

  it('never shortens an expiry when renewed with a shorter lifetime', () => {
    const sub = subPool();
    sub.ingest([parsed(1)], T0, LIFE);
    sub.ingest([parsed(1)], T0 + 1_000, 5_000);
    expect(sub.endpoints[0]!.expiresAt).toBe(T0 + LIFE);
  });

  it('takes an id back as a new endpoint after it was pruned', () => {
    const sub = subPool();
    sub.ingest([parsed(1)], T0, LIFE);
    const old = sub.endpoints[0]!;
    sub.prune(T0 + LIFE);
    expect(sub.ingest([parsed(1)], T0 + LIFE, LIFE)).toEqual({ added: 1, renewed: 0 });
    expect(sub.endpoints[0]).not.toBe(old);
    expect(isUsable(sub.endpoints[0]!, T0 + LIFE)).toBe(true);
  });
});

describe('SubPool.prune', () => {
  it('removes expired and retired endpoints, keeps the rest in order, and retires what it removes', () => {
    const sub = subPool();
    sub.ingest([parsed(1), parsed(2)], T0, LIFE);
    sub.ingest([parsed(3), parsed(4)], T0 + 10_000, LIFE);
    sub.endpoints[3]!.retired = true;
    const [e1, e2, e3] = sub.endpoints;
    const removed = sub.prune(T0 + LIFE);
    expect(removed.map((e) => e.id)).toEqual([e1!.id, e2!.id, '203.0.113.4:8004']);
    expect(sub.endpoints).toEqual([e3]);
    expect(e1!.retired).toBe(true);
    expect(e2!.retired).toBe(true);
    expect(e3!.retired).toBe(false);
  });

  it('removes nothing before expiry', () => {
    const sub = subPool();
    sub.ingest([parsed(1)], T0, LIFE);
    expect(sub.prune(T0 + LIFE - 1)).toEqual([]);
    expect(sub.size).toBe(1);
  });
});

describe('SubPool counting and selection', () => {
  it('usableAt looks ahead of expiry and skips ejected endpoints', () => {
    const sub = subPool();
    sub.ingest([parsed(1)], T0, 10_000);
    sub.ingest([parsed(2), parsed(3)], T0, LIFE);
    sub.endpoints[2]!.health = 'ejected';
    expect(sub.usableAt(T0)).toBe(2);
    expect(sub.usableAt(T0 + 10_000)).toBe(1);
    expect(sub.usableAt(T0 + LIFE)).toBe(0);
  });

  it('soonestExpiry is the earliest among usable endpoints', () => {
    const sub = subPool();
    expect(sub.soonestExpiry(T0)).toBe(Infinity);
    sub.ingest([parsed(1)], T0, 10_000);
    sub.ingest([parsed(2)], T0, 20_000);
    expect(sub.soonestExpiry(T0)).toBe(T0 + 10_000);
    sub.endpoints[0]!.health = 'ejected';
    expect(sub.soonestExpiry(T0)).toBe(T0 + 20_000);
  });

  it('select delegates to its strategy and honours avoid', () => {
    const sub = subPool();
    sub.ingest([parsed(1), parsed(2)], T0, LIFE);
    const [a, b] = sub.endpoints;
    expect(sub.select(T0, [a!])).toBe(b);
    expect(sub.select(T0, [a!, b!])).toBeUndefined();
  });

  it('clear retires everything and forgets ids', () => {
    const sub = subPool();
    sub.ingest([parsed(1)], T0, LIFE);
    const e = sub.endpoints[0]!;
    sub.clear();
    expect(sub.size).toBe(0);
    expect(e.retired).toBe(true);
    expect(sub.ingest([parsed(1)], T0, LIFE)).toEqual({ added: 1, renewed: 0 });
  });
});
