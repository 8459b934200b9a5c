/**
 * Three replicas against one simulated provider and one real redis-server (issue 13, scale-out):
 * one extraction between them, sessions that stick across replicas, ejections seen by all, and a
 * Redis killed mid-load that no client notices. Each test has its own --redis-prefix, so tests
 * never see each other's keys. Pub/sub delivery is real I/O: waited for by polling with a bound.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterKeys } from '../src/cluster/keys.js';
import { ManualClock } from '../src/clock.js';
import { sessionKey } from '../src/pool/sessions/store.js';
import { ipOf, proxyGet } from './helpers/http-client.js';
import { SKIP_REDIS, SKIP_REDIS_REASON, eventually, useRedisServer } from './helpers/redis.js';
import { endpointIn, startReplicas, type Replica } from './helpers/replicas.js';
import { startSim, stopAll } from './helpers/swivel.js';

if (SKIP_REDIS) console.warn(`skipping the Redis cluster tests: ${SKIP_REDIS_REASON}`);

describe.skipIf(SKIP_REDIS)('replicas sharing one Redis', () => {
  const redis = useRedisServer();
  afterEach(async () => {
    await stopAll();
  });

  // A generous bound where the test is not about slowness: on a loaded CI machine a 200 ms call can
  // overrun, and the replica would (rightly) fall back to its own extraction.
  const flags = (timeout = '1s'): Record<string, unknown> => ({
    'redis-url': redis().url,
    'redis-prefix': `t-${randomUUID()}`,
    'redis-timeout': timeout,
    num: 6,
  });

  async function ipVia(r: Replica, url: string, username?: string): Promise<string> {
    const reply = await proxyGet(r.port, url, username === undefined ? {} : { username });
    expect(reply.status, reply.body).toBe(200);
    return ipOf(reply);
  }

  it('30 cold requests spread over three replicas make exactly one extraction call; a fourth replica makes none', async () => {
    const sim = await startSim({ upstreams: 6 });
    // A slow provider: whoever takes the lock is still extracting while the other two ask.
    sim.provider.setBehavior('slow', { delayMs: 300 });
    const f = flags();
    const replicas = await startReplicas(sim, 3, f);
    const ipUrl = `${sim.target.url}/ip`;
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => proxyGet(replicas[i % 3]!.port, ipUrl)));
    for (const r of replies) expect(r.status, r.body).toBe(200);
    expect(sim.provider.callCount).toBe(1);
    // Every replica holds the one batch, not a share of it.
    for (const r of replicas) expect(r.app.pool.defaultPool.size).toBe(6);
    expect(replicas.map((r) => r.app.cluster!.status().apiCalls).sort()).toEqual([0, 0, 1]);
    // The two that waited took the batch from the holder's notice, expiry and all.
    expect(replicas.map((r) => r.app.cluster!.status().servedShared).sort()).toEqual([0, 1, 1]);
    // Stats and /metrics count the one call once across the fleet, and the two shares apart.
    expect(replicas.map((r) => r.app.stats().extraction.calls).sort()).toEqual([0, 0, 1]);
    expect(replicas.map((r) => r.app.stats().extraction.shared).sort()).toEqual([0, 1, 1]);
    const expiries = new Set(replicas.map((r) => r.app.pool.defaultPool.endpoints[0]!.expiresAt));
    expect(expiries.size).toBe(1);

    const [late] = await startReplicas(sim, 1, f);
    expect((await proxyGet(late!.port, ipUrl)).status).toBe(200);
    expect(sim.provider.callCount).toBe(1);
    expect(late!.app.cluster!.status().servedShared).toBe(1);
  });

  it('every endpoint expired on all three: 30 requests arriving cold wait on one extraction between them', async () => {
    const sim = await startSim({ upstreams: 6 });
    const clock = new ManualClock();
    const replicas = await startReplicas(sim, 3, flags(), clock);
    sim.provider.resetCalls();
    sim.provider.setBehavior('slow', { delayMs: 200 });
    // Past --life (5 min): every endpoint is gone everywhere, and each replica's tick demands more.
    clock.advance(6 * 60_000);
    for (const r of replicas) expect(r.app.pool.defaultPool.usableAt(clock.now())).toBe(0);
    const ipUrl = `${sim.target.url}/ip`;
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => proxyGet(replicas[i % 3]!.port, ipUrl)));
    for (const r of replies) expect(r.status, r.body).toBe(200);
    expect(sim.provider.callCount).toBe(1);
  });

  it('a lock holder that vanished without a word: the next replica waits out its lock, then extracts once', async () => {
    const sim = await startSim({ upstreams: 6 });
    const f = flags();
    const admin = createClient({ url: redis().url });
    await admin.connect();
    try {
      // A replica took the default sub-pool's lock and died: no batch, no failure notice, ever.
      const lock = clusterKeys(String(f['redis-prefix']), `api ${sim.apiBase}`).lock('*/*/*/*');
      const lockedAt = Date.now();
      expect(await admin.set(lock, 'gone', { expiration: { type: 'PX', value: 1_200 } })).toBe('OK');
      const [r] = await startReplicas(sim, 1, f);
      expect((await proxyGet(r!.port, `${sim.target.url}/ip`)).status).toBe(200);
      expect(sim.provider.callCount).toBe(1);
      expect(r!.app.cluster!.status().apiCalls).toBe(1);
      // It honoured the lock: the call came only once the lock had lapsed (a lower bound; load only delays).
      expect(sim.provider.calls[0]!.at - lockedAt).toBeGreaterThanOrEqual(1_100);
    } finally {
      await admin.close();
    }
  });

  it('a session sticks to one upstream through every replica', async () => {
    const sim = await startSim({ upstreams: 6 });
    const [a, b, c] = await startReplicas(sim, 3, flags());
    const ipUrl = `${sim.target.url}/ip`;
    // Move each replica's round-robin cursor differently, so agreeing by chance is unlikely.
    for (let i = 0; i < 2; i++) await ipVia(a!, ipUrl);
    for (let i = 0; i < 4; i++) await ipVia(b!, ipUrl);
    const first = await ipVia(a!, ipUrl, 'session-abc');
    for (let round = 0; round < 3; round++) {
      for (const r of [a!, b!, c!]) expect(await ipVia(r, ipUrl, 'session-abc')).toBe(first);
    }
    // B and C learnt it from Redis (one lookup each), then answered from their local tier.
    for (const r of [b!, c!]) expect(r.app.cluster!.status()).toMatchObject({ sessionLookups: 1, sessionLookupHits: 1 });
    // In Redis with the same idle TTL as locally (--session-ttl 10m), or the one the client asked for.
    const ttlOf = async (session: string): Promise<unknown> =>
      a!.app.cluster!.link.call((c) => c.pTTL(a!.app.cluster!.keys.session(sessionKey(a!.app.pool.defaultPool.key, session))));
    expect(await ttlOf('abc')).toBeGreaterThan(590_000);
    expect(await ttlOf('abc')).toBeLessThanOrEqual(600_000);
    await ipVia(b!, ipUrl, 'session-short-sesstime-2');
    expect(await ttlOf('short')).toBeGreaterThan(110_000);
    expect(await ttlOf('short')).toBeLessThanOrEqual(120_000);
    // Another session is free to land elsewhere, and sticks too.
    const other = await ipVia(c!, ipUrl, 'session-xyz');
    for (const r of [a!, b!]) expect(await ipVia(r, ipUrl, 'session-xyz')).toBe(other);
  });

  it('an endpoint ejected through replica A gets no traffic from B or C within 2 s', async () => {
    const sim = await startSim({ upstreams: 6 });
    const [a, b, c] = await startReplicas(sim, 3, flags());
    const ipUrl = `${sim.target.url}/ip`;
    const victimIp = await ipVia(a!, ipUrl, 'session-victim');
    const victim = sim.upstreams.find((u) => u.localAddress === victimIp)!;
    await victim.setMode('refuse');
    // A's next attempt is refused: ejected at once, and the request succeeds on another endpoint.
    expect(await ipVia(a!, ipUrl, 'session-victim')).not.toBe(victimIp);
    expect(endpointIn(a!, victim.id)?.health).toBe('ejected');
    const seen = await eventually(() => [b!, c!].every((r) => endpointIn(r, victim.id)?.health === 'ejected'), 2_000);
    expect(seen).toBe(true);
    // Same back-off everywhere: B and C keep it out as long as A does.
    const untilA = endpointIn(a!, victim.id)!.ejectedUntil;
    for (const r of [b!, c!]) expect(Math.abs(endpointIn(r, victim.id)!.ejectedUntil - untilA)).toBeLessThan(1_000);

    // Working again, but still ejected: neither B nor C sends it anything, with or without the session.
    await victim.setMode('ok');
    const before = victim.requests;
    for (let i = 0; i < 12; i++) {
      for (const r of [b!, c!]) {
        expect(await ipVia(r, ipUrl)).not.toBe(victimIp);
        expect(await ipVia(r, ipUrl, 'session-victim')).not.toBe(victimIp);
      }
    }
    expect(victim.requests).toBe(before);
    expect(sim.provider.callCount).toBe(1);
  });

  it('Redis slow (every command held for 3 s): a session lookup gives up after --redis-timeout and binds locally, no request fails, one line each way', async () => {
    const sim = await startSim({ upstreams: 6 });
    const replicas = await startReplicas(sim, 3, flags());
    const ipUrl = `${sim.target.url}/ip`;
    const admin = createClient({ url: redis().url });
    await admin.connect();
    try {
      // Held well past --redis-timeout (1s here).
      await admin.sendCommand(['CLIENT', 'PAUSE', '3000', 'ALL']);
      const replies = await Promise.all(
        replicas.flatMap((r, i) => [proxyGet(r.port, ipUrl, { username: `session-slow${i}` }), proxyGet(r.port, ipUrl)]),
      );
      for (const reply of replies) expect(reply.status, reply.body).toBe(200);
      for (const r of replicas) expect(r.logs.find('redis unavailable; serving from the local pool and local sessions')).toHaveLength(1);
      expect(await eventually(() => replicas.every((r) => r.app.cluster!.link.up), 10_000)).toBe(true);
      for (const r of replicas) expect(r.logs.find('redis reachable again; rejoined the shared pool and sessions')).toHaveLength(1);
    } finally {
      await admin.close();
    }
  });

  it('Redis killed mid-load: every request succeeds, each replica logs it once, and after a restart they converge again', async () => {
    const sim = await startSim({ upstreams: 6 });
    const replicas = await startReplicas(sim, 3, flags());
    const ipUrl = `${sim.target.url}/ip`;
    const sticky = await ipVia(replicas[0]!, ipUrl, 'session-before');

    const load = async (round: number): Promise<void> => {
      const requests = replicas.flatMap((r, i) => [
        proxyGet(r.port, ipUrl),
        proxyGet(r.port, ipUrl, { username: 'session-before' }),
        proxyGet(r.port, ipUrl, { username: `session-new${round}x${i}` }),
      ]);
      for (const reply of await Promise.all(requests)) expect(reply.status, reply.body).toBe(200);
    };
    await load(0);
    const killed = redis().kill();
    for (let round = 1; round <= 10; round++) await load(round);
    await killed;
    for (let round = 11; round <= 20; round++) await load(round);
    for (const r of replicas) {
      expect(r.app.cluster!.link.up).toBe(false);
      expect(r.logs.find('redis unavailable; serving from the local pool and local sessions')).toHaveLength(1);
      // Sessions known before the outage stay where they were.
      expect(await ipVia(r, ipUrl, 'session-before')).toBe(sticky);
    }

    // A sub-pool nobody had: extracted locally while Redis is away, and the request still succeeds.
    const calls = sim.provider.callCount;
    expect((await proxyGet(replicas[0]!.port, ipUrl, { username: 'country-de' })).status).toBe(200);
    expect(sim.provider.callCount).toBe(calls + 1);

    await redis().restart();
    expect(await eventually(() => replicas.every((r) => r.app.cluster!.link.up), 10_000)).toBe(true);
    for (const r of replicas) expect(r.logs.find('redis reachable again; rejoined the shared pool and sessions')).toHaveLength(1);
    // Converged: a session begun after the restart sticks across all three again.
    const after = await ipVia(replicas[1]!, ipUrl, 'session-after');
    for (const r of replicas) expect(await ipVia(r, ipUrl, 'session-after')).toBe(after);
    for (const r of replicas) expect(r.logs.find('redis unavailable; serving from the local pool and local sessions')).toHaveLength(1);

    // On rejoin replica 0 republished what it extracted alone: the others take it instead of calling.
    const deKey = replicas[0]!.app.cluster!.keys.pool('de/*/*/*');
    const published = await eventually(async () => (await replicas[0]!.app.cluster!.link.call((c) => c.zCard(deKey))) === 1, 5_000);
    expect(published).toBe(true);
    for (const r of replicas.slice(1)) expect((await proxyGet(r.port, ipUrl, { username: 'country-de' })).status).toBe(200);
    expect(sim.provider.callCount).toBe(calls + 1);
  });
});
