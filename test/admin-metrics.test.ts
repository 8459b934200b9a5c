/**
 * /metrics through real sockets: parsed as Prometheus text by a real parser, counters moving by
 * the exact amounts a scripted run causes, and label cardinality bounded under many sessions
 * and sub-pools.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { adminGet } from './helpers/admin.js';
import { proxyGet } from './helpers/http-client.js';
import { parseExposition, type Exposition } from './helpers/prom-parse.js';
import { startSwivel, stopAll, advanceSettled, demandSettled } from './helpers/swivel.js';

afterEach(stopAll);

async function scrape(port: number): Promise<Exposition> {
  const reply = await adminGet(port, '/metrics');
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toContain('text/plain');
  return parseExposition(reply.body);
}

describe('prometheus text parser (test helper)', () => {
  it('reads labels with escapes, histograms and special values, and refuses garbage', () => {
    const m = parseExposition(
      '# HELP a_total A thing\n# TYPE a_total counter\na_total{x="q\\"uote",y="b\\\\s"} 3\nh_bucket{le="+Inf"} 2\nh_sum 0.5\ng NaN\n',
    );
    expect(m.value('a_total', { x: 'q"uote', y: 'b\\s' })).toBe(3);
    expect(m.families.get('a_total')?.type).toBe('counter');
    expect(m.value('h_bucket', { le: '+Inf' })).toBe(2);
    expect(Number.isNaN(m.named('g')[0]!.value)).toBe(true);
    expect(() => parseExposition('bad{x=1} 2\n')).toThrow();
    expect(() => parseExposition('ok_metric notanumber\n')).toThrow();
  });
});

describe('/metrics connection counters', () => {
  it('count connections dropped past --max-connections per listener, and no local shortage', async () => {
    const h = await startSwivel({ admin: true, flags: { 'max-connections': 2 } });
    const adminPort = h.app.admin!.port;
    const held = await Promise.all([openSocket(h.port), openSocket(h.port)]);
    // The third is closed at accept: wait for that close, then scrape.
    const third = await openSocket(h.port);
    await new Promise<void>((resolve) => third.once('close', () => resolve()));
    const m = await scrape(adminPort);
    expect(m.value('swivel_connections_dropped_total', { listener: 'http' })).toBe(1);
    expect(m.value('swivel_overloaded_total')).toBe(0);
    expect(h.app.stats().connections.dropped).toEqual({ http: 1 });
    for (const s of held) s.destroy();
  });
});

describe('/metrics counters', () => {
  it('move by the exact amounts of a scripted run: N requests, K failovers, E extracted, W wasted', async () => {
    const clock = new ManualClock();
    const h = await startSwivel({
      admin: true,
      clock,
      flags: { num: 4, life: 1, 'pool-min': 1, 'max-failures': 1, retries: 2 },
    });
    const adminPort = h.app.admin!.port;
    const pool = h.app.pool.defaultPool.key;
    let m = await scrape(adminPort);
    expect(m.value('swivel_extraction_calls_total', { outcome: 'ok' })).toBe(1);
    expect(m.value('swivel_endpoints_extracted_total')).toBe(4);
    expect(m.value('swivel_endpoints', { pool, state: 'usable' })).toBe(4);
    expect(m.value('swivel_build_info')).toBe(1);
    expect(m.named('process_cpu_user_seconds_total').length).toBe(1);

    // Break one endpoint of the four: the first request that lands on it fails over (K = 1) and,
    // with --max-failures 1, ejects it, so no later request tries it again.
    const inPool = new Set(h.app.pool.defaultPool.endpoints.map((e) => e.port));
    const broken = h.sim.upstreams.find((u) => inPool.has(u.port))!;
    await broken.setMode('refuse');
    const N = 6;
    for (let i = 0; i < N; i++) expect((await proxyGet(h.port, h.ipUrl)).status).toBe(200);

    // A second extraction brings four endpoints nobody will use before they expire (W = 4).
    await h.app.refresher.refreshNow(h.app.pool.defaultPool);
    h.sim.provider.setBehavior('http-500');
    await advanceSettled(clock, h.app, 61_000);
    h.app.refresher.tick();
    await demandSettled(clock, h.app);

    m = await scrape(adminPort);
    expect(m.value('swivel_requests_total', { listener: 'http', kind: 'request', code: 'ok', pool })).toBe(N);
    expect(m.value('swivel_requests_total')).toBe(N);
    expect(m.value('swivel_request_duration_seconds_count', { listener: 'http', kind: 'request' })).toBe(N);
    expect(m.value('swivel_failovers_total', { listener: 'http' })).toBe(1);
    expect(m.value('swivel_upstream_connect_duration_seconds_count', { outcome: 'failed' })).toBe(1);
    expect(m.value('swivel_upstream_connect_duration_seconds_count', { outcome: 'ok' })).toBe(N);
    // Ejected once by the refused request, and once more when the probe after its 30 s back-off
    // (run by the clock's own tick during the advance) finds it still refusing.
    expect(m.value('swivel_endpoint_ejections_total')).toBe(2);
    expect(m.value('swivel_extraction_calls_total', { outcome: 'ok' })).toBe(2);
    // The refresher's own ticks keep trying (with back-off) while the clock moves: every call the
    // provider received after the two good ones failed, and each is counted once.
    const failedCalls = h.sim.provider.callCount - 2;
    expect(failedCalls).toBeGreaterThanOrEqual(1);
    expect(m.value('swivel_extraction_calls_total', { outcome: 'provider_http' })).toBe(failedCalls);
    expect(m.value('swivel_extraction_duration_seconds_count')).toBe(h.sim.provider.callCount);
    expect(m.value('swivel_endpoints_extracted_total')).toBe(8);
    expect(m.value('swivel_endpoints_expired_total')).toBe(8);
    expect(m.value('swivel_endpoints_wasted_total')).toBe(4);
    expect(m.value('swivel_endpoints', { pool, state: 'usable' })).toBe(0);
    expect(m.value('swivel_provider_backoff', { pool })).toBe(1);
    expect(m.value('swivel_relayed_bytes_total', { listener: 'http', direction: 'out' })).toBeGreaterThan(0);

    // The same numbers in the stats snapshot the page and `swivel status` read.
    const stats = h.app.stats();
    expect(stats.extraction).toMatchObject({ calls: h.sim.provider.callCount, ok: 2, extracted: 8, expired: 8, wasted: 4 });
  });

  it('keeps label cardinality bounded with 1,000 sessions and 200 geo sub-pools', async () => {
    const cap = 10;
    const h = await startSwivel({
      admin: true,
      flags: { 'metrics-pool-cap': cap, 'session-max': 5000, 'api-concurrency': 8 },
    });
    const adminPort = h.app.admin!.port;
    const usernames = [...Array.from({ length: 1000 }, (_, i) => `session-s${i}`), ...Array.from({ length: 200 }, (_, i) => `city-c${i}`)];
    for (let i = 0; i < usernames.length; i += 50) {
      const batch = usernames.slice(i, i + 50).map((username) => proxyGet(h.port, h.ipUrl, { username, timeoutMs: 10_000 }));
      for (const reply of await Promise.all(batch)) expect(reply.status).toBe(200);
    }
    expect(h.app.pool.sessionCount).toBe(1000);
    expect([...h.app.pool.allSubPools()].length).toBe(201);

    const m = await scrape(adminPort);
    const pools = new Set<string>();
    for (const s of m.samples) if (s.labels.pool !== undefined) pools.add(s.labels.pool);
    expect(pools.size).toBeLessThanOrEqual(cap + 1);
    expect(pools.has('other')).toBe(true);
    expect(m.value('swivel_requests_total')).toBe(1200);
    expect(m.value('swivel_sessions_open')).toBe(1000);
    expect(m.value('swivel_sessions_created_total')).toBe(1000);
    // No session id, target or endpoint address anywhere in a label.
    for (const s of m.samples) {
      for (const v of Object.values(s.labels)) expect(v).not.toMatch(/s\d+$|127\.0\.0\.|:\d+$/);
    }
    const swivelSeries = m.samples.filter((s) => s.name.startsWith('swivel_')).length;
    expect(swivelSeries).toBeLessThan(600);
  }, 60_000);
});

function openSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });
}
