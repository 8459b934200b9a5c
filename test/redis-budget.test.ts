/**
 * `--api-rate N`: N extraction calls per minute window, counted in Redis across replicas (and per
 * process without Redis). Time is the injected clock's; the counter is a real redis-server's.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalBudget, SharedBudget } from '../src/cluster/budget.js';
import { clusterKeys } from '../src/cluster/keys.js';
import { RedisLink } from '../src/cluster/link.js';
import { ManualClock } from '../src/clock.js';
import { proxyGet } from './helpers/http-client.js';
import { SKIP_REDIS, SKIP_REDIS_REASON, useRedisServer } from './helpers/redis.js';
import { startReplicas } from './helpers/replicas.js';
import { startSim, startSwivel, stopAll } from './helpers/swivel.js';

if (SKIP_REDIS) console.warn(`skipping the shared budget tests: ${SKIP_REDIS_REASON}`);

afterEach(async () => {
  await stopAll();
});

describe('LocalBudget', () => {
  it('allows N calls per minute window, then refuses with provider_budget and a Retry-After to the window end', async () => {
    const clock = new ManualClock(60_000 * 1000 + 15_000);
    const budget = new LocalBudget(2, clock);
    expect(await budget.take()).toBeUndefined();
    expect(await budget.take()).toBeUndefined();
    const refused = await budget.take();
    expect(refused?.code).toBe('provider_budget');
    expect(refused?.details?.['retryAfter']).toBe('45');
    clock.advance(45_000);
    expect(await budget.take()).toBeUndefined();
  });

  it('--api-rate without Redis caps one process: a second sub-pool in the same minute gets 503, no call made', async () => {
    const h = await startSwivel({ sim: { upstreams: 6 }, flags: { 'api-rate': 1 }, clock: new ManualClock() });
    expect(h.sim.provider.callCount).toBe(1);
    const reply = await proxyGet(h.port, h.ipUrl, { username: 'country-de' });
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('--api-rate 1/min');
    expect(h.sim.provider.callCount).toBe(1);
  });
});

describe.skipIf(SKIP_REDIS)('SharedBudget against a real redis-server', () => {
  const redis = useRedisServer();

  it('two replicas share one count per window', async () => {
    const clock = new ManualClock();
    const keys = clusterKeys(`t-${randomUUID()}`, 'api test');
    const links = [new RedisLink({ url: redis().url, timeoutMs: 1_000 }), new RedisLink({ url: redis().url, timeoutMs: 1_000 })];
    try {
      await Promise.all(links.map((l) => l.start()));
      const [a, b] = links.map((l) => new SharedBudget(3, clock, l, keys));
      const taken = [await a!.take(), await b!.take(), await a!.take(), await b!.take(), await a!.take()];
      expect(taken.filter((t) => t === undefined)).toHaveLength(3);
      expect(taken.slice(3).map((t) => t?.code)).toEqual(['provider_budget', 'provider_budget']);
      expect(taken[3]!.message).toContain('across the fleet');
      clock.advance(60_000);
      expect(await b!.take()).toBeUndefined();
    } finally {
      await Promise.all(links.map((l) => l.stop()));
    }
  });

  it('--api-rate 1 across three replicas: a sub-pool demanded on another replica in the same minute is refused, not called', async () => {
    const sim = await startSim({ upstreams: 6 });
    const replicas = await startReplicas(sim, 3, {
      'redis-url': redis().url,
      'redis-prefix': `t-${randomUUID()}`,
      'redis-timeout': '1s',
      'api-rate': 1,
    });
    expect(sim.provider.callCount).toBe(1);
    const reply = await proxyGet(replicas[2]!.port, `${sim.target.url}/ip`, { username: 'country-de' });
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('across the fleet');
    expect(sim.provider.callCount).toBe(1);
  });
});
