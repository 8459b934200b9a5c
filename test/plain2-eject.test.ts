/**
 * An ejected endpoint's idle kept-alive connections close on the pool's event, not at the next
 * keep-alive sweep: the clock (a ManualClock, which the sweep runs on) does not move here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { adminGet } from './helpers/admin.js';
import { proxyGet } from './helpers/http-client.js';
import { parseExposition } from './helpers/prom-parse.js';
import { startSwivel, stopAll } from './helpers/swivel.js';

afterEach(stopAll);

async function idleConnections(port: number): Promise<number> {
  return parseExposition((await adminGet(port, '/metrics')).body).value('swivel_upstream_connections', { state: 'idle' });
}

describe('upstream connections of an ejected endpoint', () => {
  it('close at the ejection, with the clock standing still', async () => {
    const clock = new ManualClock();
    const h = await startSwivel({ admin: true, clock, flags: { num: 2 } });
    const adminPort = h.app.admin!.port;
    const endpoints = h.app.pool.defaultPool.endpoints;
    expect(endpoints.length).toBe(2);
    for (let i = 0; i < 2; i++) expect((await proxyGet(h.port, h.ipUrl)).status).toBe(200);
    expect(await idleConnections(adminPort)).toBe(2);

    h.app.pool.markEjected(endpoints[0]!, clock.now() + 60_000, 'test');
    expect(await idleConnections(adminPort)).toBe(1);
    // The other endpoint's connection is still reused.
    expect((await proxyGet(h.port, h.ipUrl)).status).toBe(200);
    const m = parseExposition((await adminGet(adminPort, '/metrics')).body);
    expect(m.value('swivel_upstream_connections_opened_total')).toBe(2);
    expect(m.value('swivel_upstream_connection_reuses_total')).toBe(1);
  });
});
