/**
 * Probes and access control on the admin port, through real sockets: /readyz follows the
 * default sub-pool (503 → 200 as the simulated provider recovers, 503 while it rejects the key,
 * 503 at once on drain), /healthz never depends on the provider, --admin-auth guards the rest.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SwivelApp } from '../src/app.js';
import { ManualClock } from '../src/clock.js';
import { loadConfig, securityWarnings } from '../src/config/load.js';
import { adminGet } from './helpers/admin.js';
import { connectGetIp, proxyGet } from './helpers/http-client.js';
import { parseExposition } from './helpers/prom-parse.js';
import { ipViaSocks, socksConnect } from './helpers/socks-client.js';
import { configFor, startSim, startSwivel, stopAll, advanceSettled, demandSettled } from './helpers/swivel.js';

afterEach(stopAll);

describe('/readyz and /healthz', () => {
  it('flips 503 → 200 as the provider recovers, 503 while it rejects the key, and 503 at once on drain', async () => {
    const clock = new ManualClock();
    const h = await startSwivel({
      admin: true,
      clock,
      flags: { life: 1, 'pool-min': 1, 'drain-timeout': '10s' },
      beforeStart: (sim) => sim.provider.setBehavior('http-500'),
    });
    const adminPort = h.app.admin!.port;
    expect(h.summary.adminUrl).toBe(`http://127.0.0.1:${adminPort}`);
    let r = await adminGet(adminPort, '/readyz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toMatchObject({ ready: false, reason: 'pool_empty' });
    expect((JSON.parse(r.body) as { detail: string }).detail).toContain('provider_http');
    expect((await adminGet(adminPort, '/healthz')).status).toBe(200);

    h.sim.provider.setBehavior('ok');
    await advanceSettled(clock, h.app, 120_000); // past the back-off
    await demandSettled(clock, h.app);
    r = await adminGet(adminPort, '/readyz');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ ready: true });

    // The key is revoked and the endpoints expire: not ready, and the reason says why.
    h.sim.provider.setBehavior('bad-key');
    await advanceSettled(clock, h.app, 61_000);
    h.app.refresher.tick();
    await demandSettled(clock, h.app);
    r = await adminGet(adminPort, '/readyz');
    expect(r.status).toBe(503);
    expect((JSON.parse(r.body) as { detail: string }).detail).toContain('provider_auth');
    expect(r.body).not.toContain(h.sim.appKey);
    expect((await adminGet(adminPort, '/healthz')).status).toBe(200);

    // Ready again, then a drain with a tunnel held open: 503 while it finishes.
    h.sim.provider.setBehavior('ok');
    await advanceSettled(clock, h.app, 120_000);
    await demandSettled(clock, h.app);
    expect((await adminGet(adminPort, '/readyz')).status).toBe(200);
    const target = new URL(h.sim.target.url);
    const held = await import('node:net').then(
      ({ connect }) =>
        new Promise<import('node:net').Socket>((resolve, reject) => {
          const s = connect(h.port, '127.0.0.1', () => s.write(`CONNECT ${target.host} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`));
          s.once('data', (d) => (d.toString().startsWith('HTTP/1.1 200') ? resolve(s) : reject(new Error(d.toString()))));
          s.once('error', reject);
        }),
    );
    const inFlight = (): number => h.app.stats().pools[0]!.endpoints.reduce((n, e) => n + e.inFlight, 0);
    // The open tunnel shows as in flight on its endpoint.
    expect(inFlight()).toBe(1);
    const stopped = h.app.stop(10_000);
    r = await adminGet(adminPort, '/readyz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toEqual({ ready: false, reason: 'draining' });
    held.destroy();
    await stopped;
    await expect.poll(inFlight, { timeout: 2_000, interval: 20 }).toBe(0);
  });

  it('honours --ready-min', async () => {
    const h = await startSwivel({
      admin: true,
      flags: { num: 2, 'ready-min': 5 },
    });
    const adminPort = h.app.admin!.port;
    const r = await adminGet(adminPort, '/readyz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toMatchObject({ reason: 'pool_empty', detail: '2 usable endpoints, --ready-min is 5' });
    expect(h.app.readiness().ready).toBe(false);
  });
});

describe('/healthz', () => {
  it('turns 503 when a proxy listener stopped accepting outside a drain', async () => {
    const h = await startSwivel({
      admin: true,
    });
    const adminPort = h.app.admin!.port;
    expect((await adminGet(adminPort, '/healthz')).status).toBe(200);
    await new Promise<void>((resolve) => h.app.http.server.close(() => resolve()));
    expect((await adminGet(adminPort, '/healthz')).status).toBe(503);
  });
});

describe('--admin-auth', () => {
  it('answers 401 without credentials on /metrics, /status and the page, and leaves the probes open', async () => {
    // Upstreams that demand credentials, listed with them in a proxies file.
    const sim = await startSim({ upstreams: 3, upstreamAuth: { username: 'upuser', password: 'up-secret-pw' } });
    const dir = mkdtempSync(join(tmpdir(), 'swivel-admin-'));
    const file = join(dir, 'proxies.txt');
    writeFileSync(file, sim.upstreams.map((u) => `127.0.0.1:${u.port}:upuser:up-secret-pw`).join('\n'));
    const config = loadConfig(
      {
        'proxies-file': file,
        'allow-private-endpoints': true,
        port: 0,
        'socks-port': 0,
        'admin-auth': 'ops:s3cret',
      },
      {},
    );
    const app = new SwivelApp(config, { adminEphemeral: true });
    await app.start();
    const adminPort = app.admin!.port;
    const h = { app, port: app.http.port, ipUrl: `${sim.target.url}/ip`, sim };
    try {
      expect((await proxyGet(h.port, h.ipUrl)).status).toBe(200);
      for (const path of ['/metrics', '/status', '/']) {
        const r = await adminGet(adminPort, path);
        expect(r.status).toBe(401);
        expect(r.headers['www-authenticate']).toContain('Basic');
        expect((await adminGet(adminPort, path, 'ops:wrong')).status).toBe(401);
        const ok = await adminGet(adminPort, path, 'ops:s3cret');
        expect(ok.status).toBe(200);
        // Neither the upstream credentials nor the app_key nor the admin password ever show.
        for (const secret of ['up-secret-pw', 'upuser', 's3cret']) expect(ok.body).not.toContain(secret);
      }
      expect((await adminGet(adminPort, '/healthz')).status).toBe(200);
      expect((await adminGet(adminPort, '/readyz')).status).toBe(200);
      expect((await adminGet(adminPort, '/nope', 'ops:s3cret')).status).toBe(404);
    } finally {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warns when the admin port binds beyond loopback without --admin-auth', async () => {
    const sim = await startSim();
    const open = securityWarnings(configFor(sim, { 'admin-port': 9090, 'admin-host': '0.0.0.0' }));
    expect(open.some((w) => w.includes('--admin-auth'))).toBe(true);
    expect(securityWarnings(configFor(sim, { 'admin-port': 9090, 'admin-host': '0.0.0.0', 'admin-auth': 'a:b' }))).toEqual([]);
    expect(securityWarnings(configFor(sim, { 'admin-port': 9090 }))).toEqual([]);
  });
});

describe('--access-log', () => {
  it('logs one line per request and tunnel without credentials or query strings', async () => {
    const h = await startSwivel({ flags: { 'access-log': true } });
    expect((await proxyGet(h.port, `${h.ipUrl}?token=abc123`, { username: 'session-s1', password: 'pw-secret' })).status).toBe(200);
    const target = new URL(h.sim.target.url);
    const tunnel = await connectGetIp({ proxyPort: h.port, host: target.hostname, port: Number(target.port) });
    expect(tunnel.status).toBe(200);
    await expect.poll(() => h.logs.find('access').length, { timeout: 2_000, interval: 20 }).toBe(2);
    const [req, tun] = h.logs.find('access');
    expect(req).toMatchObject({ listener: 'http', kind: 'request', code: 'ok', status: 200, attempts: 1, method: 'GET' });
    expect(req!.target).toBe(h.ipUrl);
    expect(req!.endpoint).toMatch(/^127\.0\.0\.\d+:\d+$/);
    expect(req!.bytesOut as number).toBeGreaterThan(0);
    expect(tun).toMatchObject({ listener: 'http', kind: 'tunnel', code: 'ok', status: 200, method: 'CONNECT' });
    const all = JSON.stringify(h.logs.find('access'));
    expect(all).not.toContain('abc123');
    expect(all).not.toContain('pw-secret');
    expect(all).not.toContain('session-s1');
  });
});

describe('SOCKS5 outcomes', () => {
  it('log an access line and count in swivel_requests_total, failures with their code', async () => {
    const h = await startSwivel({
      admin: true,
      socks: true,
      flags: { 'access-log': true, retries: 0 },
    });
    const adminPort = h.app.admin!.port;
    const target = new URL(h.sim.target.url);
    const socksPort = h.app.socks!.port;
    const ip = await ipViaSocks({ port: socksPort, destination: { host: target.hostname, port: Number(target.port) } });
    expect(ip).toMatch(/^127\.0\.0\./);
    // Every endpoint refuses: the one attempt fails, the client gets reply 0x04.
    await Promise.all(h.sim.upstreams.map((u) => u.setMode('refuse')));
    await expect(socksConnect({ port: socksPort, destination: { host: target.hostname, port: Number(target.port) } })).rejects.toThrow();
    await expect.poll(() => h.logs.find('access').length, { timeout: 2_000, interval: 20 }).toBe(2);
    const [ok, failed] = h.logs.find('access');
    expect(ok).toMatchObject({ listener: 'socks', kind: 'tunnel', code: 'ok', status: 0, attempts: 1 });
    expect(ok!.bytesOut as number).toBeGreaterThan(0);
    // A refused connect is the endpoint's own fault and costs no retry: every endpoint is tried once.
    expect(failed).toMatchObject({ listener: 'socks', kind: 'tunnel', code: 'upstream_refused', status: 4, attempts: 8 });
    const m = parseExposition((await adminGet(adminPort, '/metrics')).body);
    expect(m.value('swivel_requests_total', { listener: 'socks', code: 'ok' })).toBe(1);
    expect(m.value('swivel_requests_total', { listener: 'socks', code: 'upstream_refused' })).toBe(1);
  });
});
