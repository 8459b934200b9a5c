/**
 * The plain-HTTP keep-alive pool on /metrics (swivel_upstream_connections*), scraped through real
 * sockets: every request either opened a connection or reused an idle one, all of them are idle
 * once the answers are in, and no label names an endpoint.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { adminGet } from './helpers/admin.js';
import { proxyGet } from './helpers/http-client.js';
import { parseExposition } from './helpers/prom-parse.js';
import { startSwivel, stopAll } from './helpers/swivel.js';

afterEach(stopAll);

describe('/metrics upstream connections', () => {
  it('count opened and reused connections and show them idle after the answers', async () => {
    const h = await startSwivel({ admin: true, flags: { num: 2 } });
    const adminPort = h.app.admin!.port;
    let m = parseExposition((await adminGet(adminPort, '/metrics')).body);
    expect(m.value('swivel_upstream_connections_opened_total')).toBe(0);
    expect(m.value('swivel_upstream_connection_reuses_total')).toBe(0);
    expect(m.value('swivel_upstream_connections', { state: 'idle' })).toBe(0);

    const N = 6;
    for (let i = 0; i < N; i++) expect((await proxyGet(h.port, h.ipUrl)).status).toBe(200);
    const endpoints = h.app.pool.defaultPool.endpoints.length;
    m = parseExposition((await adminGet(adminPort, '/metrics')).body);
    const opened = m.value('swivel_upstream_connections_opened_total');
    const reused = m.value('swivel_upstream_connection_reuses_total');
    // One request at a time: one connection per endpoint, every later request reuses it.
    expect(opened).toBe(Math.min(N, endpoints));
    expect(opened + reused).toBe(N);
    expect(m.value('swivel_upstream_connections', { state: 'idle' })).toBe(opened);
    expect(m.value('swivel_upstream_connections', { state: 'busy' })).toBe(0);
    for (const sample of m.named('swivel_upstream_connections')) expect(Object.keys(sample.labels)).toEqual(['state']);
  });
});
