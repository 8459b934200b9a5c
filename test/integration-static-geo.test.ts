/**
 * A geo selector against a static --proxies-file: tagged entries serve it, and one the list cannot
 * satisfy is a 503 pool_empty naming the missing geo, never a silent fall-back. And a 503 body
 * never repeats the provider's URL.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SwivelApp } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { ipOf, proxyGet } from './helpers/http-client.js';
import { startSim, startSwivel, stopAll } from './helpers/swivel.js';

afterEach(stopAll);

describe('static list with geo tags', () => {
  it('routes country-de to German entries and answers 503 naming cc=fr', async () => {
    const sim = await startSim({ upstreams: 6 });
    const dir = await mkdtemp(join(tmpdir(), 'swivel-static-'));
    const path = join(dir, 'proxies.txt');
    await writeFile(path, sim.upstreams.map((u) => `127.0.0.1:${u.port} cc=${u.country}`).join('\n'));
    const config = loadConfig(
      { 'proxies-file': path, 'allow-private-endpoints': true, port: 0, 'socks-port': 0, 'acquire-timeout': '2s' },
      {},
    );
    const app = new SwivelApp(config);
    await app.start();
    try {
      const url = `${sim.target.url}/ip`;
      const german = new Set(sim.upstreams.filter((u) => u.country === 'de').map((u) => u.localAddress));
      for (let i = 0; i < 3; i++) expect(german).toContain(ipOf(await proxyGet(app.http.port, url, { username: 'country-de' })));

      const reply = await proxyGet(app.http.port, url, { username: 'country-fr' });
      expect(reply.status).toBe(503);
      expect(reply.headers['x-swivel-error']).toBe('pool_empty');
      expect(reply.body).toContain('cc=fr');
      expect(reply.body).not.toContain(path);
    } finally {
      await app.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('503 bodies', () => {
  it('say why the pool is empty without repeating the provider URL', async () => {
    const h = await startSwivel({
      flags: { 'acquire-timeout': '1s' },
      beforeStart: (sim) => sim.provider.setBehavior('http-500'),
    });
    const reply = await proxyGet(h.port, h.ipUrl, { username: 'country-de' });
    expect(reply.status).toBe(503);
    expect(reply.headers['x-swivel-error']).toBe('pool_empty');
    expect(reply.body).toContain('HTTP 500');
    expect(reply.body).not.toContain(h.sim.provider.url);
    expect(reply.body).not.toMatch(/https?:\/\//);
  });
});
