/**
 * A hostile or overloaded provider: Retry-After on 429/503 (seconds or HTTP-date) delays the next
 * extraction at least that long, by the injected clock; an answer beyond the body cap is aborted.
 * The provider is a real HTTP server on loopback.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderClient, DEFAULT_MAX_BODY_BYTES } from '../src/provider/client.js';
import { MAX_RETRY_AFTER_MS, retryAfterMs } from '../src/provider/retry-after.js';
import { Refresher } from '../src/refresh/refresher.js';
import { makePool } from './helpers/pool.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function provider(handler: http.RequestListener): Promise<{ base: string; calls: () => number }> {
  let calls = 0;
  const server = http.createServer((req, res) => {
    calls++;
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gateway`, calls: () => calls };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 2));
}

function refresherFor(base: string) {
  const { pool, clock } = makePool();
  const source = new ProviderClient({ apiBase: base, appKey: 'k', timeoutMs: 2_000 });
  // Back-off alone would allow the next call after 100 ms.
  const refresher = new Refresher({
    source,
    pool,
    clock,
    query: { num: 5, life: 1 },
    lifetimeMs: 60_000,
    poolMin: 3,
    concurrency: 1,
    random: () => 0,
    backoff: { baseMs: 100, maxMs: 200 },
  });
  return { pool, clock, refresher };
}

describe('Retry-After', () => {
  it.each([429, 503])('a %i with Retry-After: 3 delays the next call by at least 3 s', async (status) => {
    const p = await provider((_req, res) => {
      res.writeHead(status, { 'retry-after': '3', 'content-type': 'text/plain' });
      res.end('slow down');
    });
    const { pool, clock, refresher } = refresherFor(p.base);
    await expect(refresher.refreshNow(pool.defaultPool)).rejects.toMatchObject({ code: 'provider_http' });
    expect(p.calls()).toBe(1);
    for (const ms of [100, 1_000, 1_899]) {
      clock.advance(ms);
      refresher.tick();
      await flush();
    }
    // 2 999 ms after the 429: still waiting.
    expect(p.calls()).toBe(1);
    clock.advance(1);
    refresher.tick();
    await flush();
    expect(p.calls()).toBe(2);
  });

  it('honours an HTTP-date against the injected clock', async () => {
    let retryAt = '';
    const p = await provider((_req, res) => {
      res.writeHead(429, { 'retry-after': retryAt });
      res.end();
    });
    const { pool, clock, refresher } = refresherFor(p.base);
    retryAt = new Date(clock.now() + 5_000).toUTCString();
    await expect(refresher.refreshNow(pool.defaultPool)).rejects.toBeDefined();
    clock.advance(4_000);
    refresher.tick();
    await flush();
    expect(p.calls()).toBe(1);
    clock.advance(1_000);
    refresher.tick();
    await flush();
    expect(p.calls()).toBe(2);
  });

  it('parses seconds and dates, ignores garbage, and caps absurd waits', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs(new Date(now + 7_000).toUTCString(), now)).toBe(7_000);
    expect(retryAfterMs(new Date(now - 7_000).toUTCString(), now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('999999999', now)).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('body cap', () => {
  it('aborts an answer beyond the cap (default a few MiB)', async () => {
    expect(DEFAULT_MAX_BODY_BYTES).toBeLessThanOrEqual(8 * 1024 * 1024);
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    let written = 0;
    const p = await provider((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // Up to 50 MiB, written as the client reads; the client must stop long before.
      const pump = (): void => {
        while (written < 50 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('error', () => {});
      pump();
    });
    const client = new ProviderClient({ apiBase: p.base, appKey: 'k', maxBodyBytes: 1024 * 1024 });
    await expect(client.extract({ num: 5 })).rejects.toMatchObject({ code: 'provider_malformed', details: { maxBodyBytes: 1024 * 1024 } });
    expect(written).toBeLessThan(20 * 1024 * 1024);
  });
});
