/**
 * Endpoint host names (here from --proxies-file) are resolved once through the injected resolver,
 * every address is checked like a literal, and the address that passed is the one dialled. No real
 * DNS is queried: the resolver is a map.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SwivelApp } from '../src/app.js';
import { loadConfig, type RawFlags } from '../src/config/load.js';
import type { Resolver } from '../src/upstream/resolve.js';
import { connectGetIp, proxyGet } from './helpers/http-client.js';
import { createLogSink } from './helpers/log-sink.js';
import { freePort } from './helpers/socks-client.js';
import { startSim, stopAll } from './helpers/swivel.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await stopAll();
});

function mapResolver(table: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = (host: string): Promise<string[]> => {
    calls.push(host);
    const answer = table[host];
    return answer === undefined ? Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' })) : Promise.resolve(answer);
  };
  return Object.assign(resolve, { calls });
}

async function start(lines: string[], resolver: Resolver, flags: RawFlags = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swivel-resolve-'));
  const file = path.join(dir, 'proxies.txt');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const logs = createLogSink();
  const config = loadConfig({ 'proxies-file': file, port: 0, 'socks-port': 0, 'response-timeout': '2s', ...flags }, {});
  const app = new SwivelApp(config, { logger: logs.logger, resolver });
  cleanups.push(() => app.stop());
  await app.start();
  return { app, logs, port: app.http.port };
}

describe('endpoint host names', () => {
  it('refuses a name resolving to a private address before any connection, and one with a private address among others', async () => {
    const resolver = mapResolver({ 'evil.test': ['10.0.0.1'], 'mixed.test': ['203.0.113.5', '127.0.0.1'] });
    const { app, port } = await start(['evil.test:8080', 'mixed.test:8080'], resolver);
    const started = Date.now();
    const reply = await proxyGet(port, 'http://example.test/');
    // Refused without dialling: a connect to 10.0.0.1 or 203.0.113.5 would hang until the connect timeout.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(reply.status).toBe(502);
    expect(reply.headers['x-swivel-error']).toBe('endpoint_refused');
    expect(app.pool.defaultPool.endpoints.every((e) => e.health === 'ejected')).toBe(true);
    expect(resolver.calls.sort()).toEqual(['evil.test', 'mixed.test']);
  });

  it('refuses a name that resolves to swivel’s own listener, and dials the checked address of a good name', async () => {
    const sim = await startSim({ upstreams: 1 });
    const up = sim.upstreams[0]!;
    const swivelPort = await freePort();
    const resolver = mapResolver({ 'self.test': ['127.0.0.1'], 'up.test': ['127.0.0.1'] });
    const { app, port, logs } = await start([`self.test:${swivelPort}`, `up.test:${up.port}`], resolver, {
      port: swivelPort,
      'allow-private-endpoints': true,
    });
    for (let i = 0; i < 10; i++) {
      expect((await proxyGet(port, `${sim.target.url}/ip`)).status).toBe(200);
      expect((await connectGetIp({ proxyPort: port, host: '127.0.0.1', port: sim.target.port })).status).toBe(200);
    }
    const self = app.pool.defaultPool.endpoints.find((e) => e.host === 'self.test')!;
    expect(self.health).toBe('ejected');
    expect(logs.find('endpoint ejected')[0]).toMatchObject({ reason: 'endpoint_refused' });
    const good = app.pool.defaultPool.endpoints.find((e) => e.host === 'up.test')!;
    expect(good.address).toBe('127.0.0.1');
    // Resolved once, not per request.
    expect(resolver.calls.filter((h) => h === 'up.test')).toHaveLength(1);
    expect(up.requests + up.connects).toBe(20);
  });
});
