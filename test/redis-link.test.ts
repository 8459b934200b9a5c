/**
 * The Redis link under trouble, against a real redis-server: slow (CLIENT PAUSE holds every
 * command), gone at start, and a URL with a password that must never be printed.
 */
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { FAILED, RedisLink } from '../src/cluster/link.js';
import { loadConfig } from '../src/config/load.js';
import { isSwivelError } from '../src/errors.js';
import { proxyGet } from './helpers/http-client.js';
import { createLogSink } from './helpers/log-sink.js';
import { freePort } from './helpers/ports.js';
import { SKIP_REDIS, SKIP_REDIS_REASON, eventually, useRedisServer } from './helpers/redis.js';
import { startSwivel, stopAll } from './helpers/swivel.js';

if (SKIP_REDIS) console.warn(`skipping the Redis link tests: ${SKIP_REDIS_REASON}`);

const DOWN = 'redis unavailable; serving from the local pool and local sessions';
const BACK = 'redis reachable again; rejoined the shared pool and sessions';

describe('--redis-url is checked at the edge', () => {
  it('accepts redis:// and rediss://, defaults the prefix and timeout', () => {
    const c = loadConfig({ 'redis-url': 'rediss://u:p@cache.internal:6380/2', 'proxies-file': 'x' }, {});
    expect(c.cluster).toEqual({ redisUrl: 'rediss://u:p@cache.internal:6380/2', redisPrefix: 'swivel', redisTimeoutMs: 200 });
    expect(loadConfig({ 'proxies-file': 'x' }, {}).cluster.redisUrl).toBeUndefined();
  });

  it.each(['http://user:hunter2@cache:6379', 'redis//:hunter2@cache', 'cache:6379'])('refuses %s without echoing a password', (url) => {
    let err: unknown;
    try {
      loadConfig({ 'redis-url': url }, {});
    } catch (e) {
      err = e;
    }
    expect(isSwivelError(err, 'config_invalid')).toBe(true);
    expect((err as Error).message).toContain('--redis-url');
    expect((err as Error).message).not.toContain('hunter2');
  });
});

describe.skipIf(SKIP_REDIS)('RedisLink against a real redis-server', () => {
  const redis = useRedisServer();
  const links: RedisLink[] = [];
  afterEach(async () => {
    await Promise.all(links.splice(0).map((l) => l.stop()));
    await stopAll();
  });

  it('slow Redis: a call answers FAILED within its bound, the link logs one line, and rejoins once Redis answers', async () => {
    const logs = createLogSink();
    const link = new RedisLink({ url: redis().url, timeoutMs: 300, logger: logs.logger, probeMs: 50 });
    links.push(link);
    await link.start();
    expect(link.up).toBe(true);
    expect(await link.call((c) => c.set('k', 'v'))).toBe('OK');

    // Another client holds every command for 1.5 s, well past the 300 ms bound: Redis is up but slow.
    const admin = createClient({ url: redis().url });
    const witness = createClient({ url: redis().url });
    await Promise.all([admin.connect(), witness.connect()]);
    await admin.sendCommand(['CLIENT', 'PAUSE', '1500', 'ALL']);
    // Answered only once the pause is over: our calls must be answered (FAILED) before it.
    const pauseOver = witness.ping().then(() => 'pause over' as const);
    const calls = Promise.all(Array.from({ length: 5 }, () => link.call((c) => c.get('k'))));
    const first = await Promise.race([calls.then(() => 'calls' as const), pauseOver]);
    const results = await calls;
    expect(first).toBe('calls');
    expect(results.every((r) => r === FAILED)).toBe(true);
    expect(link.up).toBe(false);
    // While down, calls answer at once without a round trip.
    expect(await link.call((c) => c.get('k'))).toBe(FAILED);
    expect(logs.find(DOWN)).toHaveLength(1);
    await pauseOver;
    await Promise.all([admin.close(), witness.close()]);

    expect(await eventually(() => link.up, 5_000)).toBe(true);
    expect(logs.find(BACK)).toHaveLength(1);
    expect(await link.call((c) => c.get('k'))).toBe('v');
    expect(logs.find(DOWN)).toHaveLength(1);
  });

  it('Redis away at start, URL with a password: swivel serves from its own pool, logs one line, never the password', async () => {
    const dead = await freePort();
    const h = await startSwivel({ sim: { upstreams: 3 }, flags: { 'redis-url': `redis://:hunter2-secret@127.0.0.1:${dead}` } });
    for (const username of [undefined, 'session-a', 'session-b']) {
      const reply = await proxyGet(h.port, h.ipUrl, username === undefined ? {} : { username });
      expect(reply.status, reply.body).toBe(200);
    }
    expect(h.sim.provider.callCount).toBe(1);
    const down = h.logs.find(DOWN);
    expect(down).toHaveLength(1);
    expect(down[0]!.redis).toBe(`redis://***@127.0.0.1:${dead}`);
    expect(JSON.stringify(h.logs.records)).not.toContain('hunter2');
  });
});
