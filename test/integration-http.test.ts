/**
 * The core through real sockets: scraper → swivel's HTTP/CONNECT listener → simulated upstreams →
 * echo target, with the simulated provider feeding the pool. The echo target's `GET /ip` tells
 * which upstream carried a request (each sends from its own 127.0.0.(10+i)).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { isSwivelError } from '../src/errors.js';
import type { EchoReply } from '../src/sim/index.js';
import { basicAuth, connectGetIp, ipOf, proxyGet, proxyPost, type TunnelReply } from './helpers/http-client.js';
import { createSwivel, startSwivel, stopAll, type Harness } from './helpers/swivel.js';

afterEach(stopAll);

const tunnelIp = (h: Harness, username?: string, password?: string): Promise<TunnelReply> =>
  connectGetIp({ proxyPort: h.port, host: '127.0.0.1', port: h.sim.target.port, username, password });

function okIp(reply: TunnelReply): string {
  expect(reply.status).toBe(200);
  expect(reply.inner?.status).toBe(200);
  expect(reply.ip).toBeDefined();
  return reply.ip!;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('rotation', () => {
  it('sends N plain requests through N different endpoints (round-robin)', async () => {
    const h = await startSwivel();
    expect(h.summary.endpoints).toBe(8);
    const ips: string[] = [];
    for (let i = 0; i < 8; i++) ips.push(ipOf(await proxyGet(h.port, h.ipUrl)));
    expect(new Set(ips).size).toBe(8);
    expect(new Set(ips)).toEqual(new Set(h.sim.upstreams.map((u) => u.localAddress)));
  });

  it('sends N CONNECT tunnels through N different endpoints', async () => {
    const h = await startSwivel();
    const ips: string[] = [];
    for (let i = 0; i < 8; i++) ips.push(okIp(await tunnelIp(h)));
    expect(new Set(ips)).toEqual(new Set(h.sim.upstreams.map((u) => u.localAddress)));
    expect(h.sim.upstreams.every((u) => u.connects === 1 && u.requests === 0)).toBe(true);
  });
});

describe('sticky sessions and geo selection', () => {
  it('keeps session-abc on one endpoint for plain requests and CONNECT alike', async () => {
    const h = await startSwivel();
    const first = ipOf(await proxyGet(h.port, h.ipUrl, { username: 'session-abc' }));
    for (let i = 0; i < 3; i++) {
      expect(ipOf(await proxyGet(h.port, h.ipUrl, { username: 'session-abc' }))).toBe(first);
      expect(okIp(await tunnelIp(h, 'session-abc'))).toBe(first);
    }
    // Rotation for everyone else carries on meanwhile.
    const free = new Set<string>();
    for (let i = 0; i < 4; i++) free.add(ipOf(await proxyGet(h.port, h.ipUrl)));
    expect(free.size).toBe(4);
  });

  it('gives two sessions two different endpoints', async () => {
    const h = await startSwivel();
    const a = ipOf(await proxyGet(h.port, h.ipUrl, { username: 'session-a' }));
    const b = ipOf(await proxyGet(h.port, h.ipUrl, { username: 'session-b' }));
    expect(a).not.toBe(b);
    expect(ipOf(await proxyGet(h.port, h.ipUrl, { username: 'session-a' }))).toBe(a);
    expect(okIp(await tunnelIp(h, 'session-b'))).toBe(b);
  });

  it('country-de leaves only through de upstreams and asks the provider for cc=de', async () => {
    const h = await startSwivel();
    const deIps = new Set(h.sim.upstreams.filter((u) => u.country === 'de').map((u) => u.localAddress));
    expect(deIps.size).toBe(3);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      seen.add(ipOf(await proxyGet(h.port, h.ipUrl, { username: 'country-de' })));
      seen.add(okIp(await tunnelIp(h, 'country-de')));
    }
    expect(seen).toEqual(deIps);
    expect(h.sim.provider.calls.some((c) => c.cc === 'de')).toBe(true);
    // `cc` is an alias of `country`, and pairs combine with a session.
    const sticky = ipOf(await proxyGet(h.port, h.ipUrl, { username: 'session-x-cc-de' }));
    expect(deIps.has(sticky)).toBe(true);
    expect(okIp(await tunnelIp(h, 'session-x-cc-de'))).toBe(sticky);
  });

  it('answers 400 bad_selector naming the bad part of the username', async () => {
    const h = await startSwivel();
    const cases: Array<[username: string, named: string]> = [
      ['colour-red', '`colour`'],
      ['country-deu', '`country-deu`'],
      ['session-a-session-b', '`session`'],
      ['session', '`session`'],
      ['ep-xx', '`ep-xx`'],
    ];
    for (const [username, named] of cases) {
      const plain = await proxyGet(h.port, h.ipUrl, { username });
      expect(plain.status, username).toBe(400);
      expect(plain.headers['x-swivel-error'], username).toBe('bad_selector');
      expect(plain.body, username).toContain(named);
      const tunnel = await tunnelIp(h, username);
      expect(tunnel.status, username).toBe(400);
      expect(tunnel.headers['x-swivel-error'], username).toBe('bad_selector');
      expect(tunnel.body, username).toContain(named);
    }
    // Nothing was forwarded for a refused selection.
    expect(h.sim.target.requests).toBe(0);
  });
});

describe('--auth', () => {
  it('answers 407 with a challenge to a wrong or missing password, and serves the right one with pairs', async () => {
    const h = await startSwivel({ flags: { auth: 'user:pass' } });
    for (const creds of [{ username: 'user', password: 'wrong' }, { username: 'other', password: 'pass' }, {}]) {
      const plain = await proxyGet(h.port, h.ipUrl, creds);
      expect(plain.status).toBe(407);
      expect(plain.headers['proxy-authenticate']).toMatch(/^Basic realm=/);
      expect(plain.headers['x-swivel-error']).toBe('proxy_auth_required');
      const tunnel = await connectGetIp({ proxyPort: h.port, host: '127.0.0.1', port: h.sim.target.port, ...creds });
      expect(tunnel.status).toBe(407);
      expect(tunnel.headers['proxy-authenticate']).toMatch(/^Basic realm=/);
    }
    expect(h.sim.target.requests).toBe(0);

    const ok = ipOf(await proxyGet(h.port, h.ipUrl, { username: 'user', password: 'pass' }));
    expect(h.sim.upstreams.map((u) => u.localAddress)).toContain(ok);
    const sticky = ipOf(await proxyGet(h.port, h.ipUrl, { username: 'user-session-x', password: 'pass' }));
    expect(ipOf(await proxyGet(h.port, h.ipUrl, { username: 'user-session-x', password: 'pass' }))).toBe(sticky);
    expect(okIp(await tunnelIp(h, 'user-session-x', 'pass'))).toBe(sticky);
  });
});

describe('forwarding', () => {
  it('does not forward Proxy-Authorization or hop-by-hop headers to the target', async () => {
    const h = await startSwivel({ flags: { auth: 'user:pass' } });
    const reply = await proxyGet(h.port, h.echoUrl, {
      username: 'user',
      password: 'pass',
      headers: {
        connection: 'keep-alive, x-hop-named',
        'x-hop-named': 'drop me',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        te: 'trailers',
        'x-end-to-end': 'keep me',
      },
    });
    expect(reply.status).toBe(200);
    const echo = JSON.parse(reply.body) as EchoReply;
    expect(echo.method).toBe('GET');
    expect(echo.path).toBe('/echo');
    expect(echo.headers['x-end-to-end']).toBe('keep me');
    for (const name of ['proxy-authorization', 'x-hop-named', 'keep-alive', 'proxy-connection', 'te']) {
      expect(echo.headers, name).not.toHaveProperty(name);
    }
    // Not the password in any form either.
    expect(JSON.stringify(echo.headers)).not.toContain(basicAuth('user', 'pass').slice('Basic '.length));
  });

  it('forwards a POST body intact', async () => {
    const h = await startSwivel();
    const body = JSON.stringify({ text: 'grüße, 你好', n: 42, blob: 'x'.repeat(20_000) });
    const reply = await proxyPost(h.port, `${h.sim.target.url}/submit?q=1`, body, { headers: { 'content-type': 'application/json' } });
    expect(reply.status).toBe(200);
    const echo = JSON.parse(reply.body) as EchoReply;
    expect(echo).toMatchObject({ method: 'POST', path: '/submit?q=1', body });
    expect(echo.headers['content-type']).toBe('application/json');
    expect(echo.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('answers a request it cannot parse with a coded one-line 400 and closes', async () => {
    const h = await startSwivel();
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(h.port, '127.0.0.1', () => socket.write('GARBAGE\r\n\r\n'));
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => (text += d));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.setTimeout(3000, () => socket.destroy(new Error('no answer')));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw.toLowerCase()).toContain('x-swivel-error: bad_request');
    expect(raw.toLowerCase()).toContain('connection: close');
    expect(raw.endsWith('malformed HTTP request\n')).toBe(true);
    expect(h.sim.target.requests).toBe(0);
  });
});

describe('pool upkeep', () => {
  it('replaces endpoints past --max-age with a fresh extraction', async () => {
    const clock = new ManualClock();
    const h = await startSwivel({ clock, flags: { 'max-age': '300ms' } });
    expect(ipOf(await proxyGet(h.port, h.ipUrl))).toBeDefined();
    const callsBefore = h.sim.provider.callCount;
    const firstExpiry = Math.max(...h.app.pool.defaultPool.endpoints.map((e) => e.expiresAt));
    clock.advance(400);
    for (let i = 0; i < 4; i++) expect((await proxyGet(h.port, h.ipUrl)).status).toBe(200);
    expect(okIp(await tunnelIp(h))).toBeDefined();
    expect(h.sim.provider.callCount).toBeGreaterThan(callsBefore);
    // What serves now has a lifetime from a later extraction than the first one.
    const now = h.app.pool.now;
    const usable = h.app.pool.defaultPool.endpoints.filter((e) => !e.retired && e.expiresAt > now);
    expect(usable.length).toBeGreaterThan(0);
    for (const e of usable) expect(e.expiresAt).toBeGreaterThan(firstExpiry);
  });

  it('makes exactly one extraction call for 20 concurrent cold requests to a new country', async () => {
    const h = await startSwivel();
    h.sim.provider.resetCalls();
    const gbIps = new Set(h.sim.upstreams.filter((u) => u.country === 'gb').map((u) => u.localAddress));
    const replies = await Promise.all(Array.from({ length: 20 }, () => proxyGet(h.port, h.ipUrl, { username: 'country-gb' })));
    for (const reply of replies) expect(gbIps.has(ipOf(reply))).toBe(true);
    expect(h.sim.provider.calls.filter((c) => c.cc === 'gb')).toHaveLength(1);
  });

  it('answers 503 pool_empty naming the country when the provider has nothing there', async () => {
    const h = await startSwivel();
    const plain = await proxyGet(h.port, h.ipUrl, { username: 'country-fr' });
    expect(plain.status).toBe(503);
    expect(plain.headers['x-swivel-error']).toBe('pool_empty');
    expect(plain.body).toContain('fr');
    const tunnel = await tunnelIp(h, 'country-fr');
    expect(tunnel.status).toBe(503);
    expect(tunnel.headers['x-swivel-error']).toBe('pool_empty');
    expect(tunnel.body).toContain('fr');
    expect(h.sim.provider.calls.some((c) => c.cc === 'fr')).toBe(true);
    expect(h.sim.upstreams.every((u) => u.requests === 0 && u.connects === 0)).toBe(true);
  });

  it('refuses to start when the provider rejects the key (code 3)', async () => {
    const { app, sim } = await createSwivel({ beforeStart: (s) => s.provider.setBehavior('bad-key') });
    const err: unknown = await app.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSwivelError(err)).toBe(true);
    expect((err as { code: string }).code).toBe('provider_auth');
    expect(String((err as Error).message)).not.toContain(sim.appKey);
    // The start failed before any port was bound.
    expect(app.http.server.listening).toBe(false);
  });
});

describe('stopping', () => {
  it('lets a request in flight finish within the drain timeout, and refuses new connections meanwhile', async () => {
    const h = await startSwivel();
    await Promise.all(h.sim.upstreams.map((u) => u.setMode('slow-start', { delayMs: 300 })));
    const inFlight = proxyGet(h.port, h.ipUrl, { timeoutMs: 5000 });
    // Wait until the request has reached an upstream, then stop with room to drain.
    while (h.sim.upstreams.every((u) => u.requests === 0)) await sleep(10);
    const stopping = h.app.stop(3000);
    const refused = await proxyGet(h.port, h.ipUrl, { timeoutMs: 1000 }).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
    const reply = await inFlight;
    expect(reply.status).toBe(200);
    await stopping;
  });

  it('cuts a tunnel that outlives the drain timeout', async () => {
    const h = await startSwivel();
    const socket = net.connect(h.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    socket.write(`CONNECT 127.0.0.1:${h.sim.target.port} HTTP/1.1\r\nHost: 127.0.0.1:${h.sim.target.port}\r\n\r\n`);
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    await h.app.stop(100);
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});
