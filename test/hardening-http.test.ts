/**
 * Hostile input on the HTTP/CONNECT listener, through real sockets: target edges refused before any
 * endpoint is contacted, head limits (431/414), the header timeout against slowloris and silent
 * connections, the connection cap, the destination policy, and Connection: close during a drain.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { proxyGet } from './helpers/http-client.js';
import { rawExchange, rawHeader } from './helpers/raw-http.js';
import { startSwivel, stopAll, type Harness } from './helpers/swivel.js';

afterEach(stopAll);

const connects = (h: Harness): number => h.sim.upstreams.reduce((n, u) => n + u.connects + u.requests, 0);

describe('target edges', () => {
  it.each(['127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:99999', '127.0.0.1'])(
    'refuses CONNECT %s with 400 without contacting an endpoint',
    async (target) => {
      const h = await startSwivel();
      const answer = await rawExchange(h.port, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
      expect(answer.status).toBe(400);
      expect(connects(h)).toBe(0);
    },
  );

  it.each(['http:///nohost', 'http://:80/x', 'http://127.0.0.1:0/x'])('refuses GET %s with 400', async (url) => {
    const h = await startSwivel();
    const answer = await rawExchange(h.port, `GET ${url} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(answer.status).toBe(400);
    expect(connects(h)).toBe(0);
  });
});

describe('head limits', () => {
  it('answers a 20 KiB header with 431 and a 70 KiB URI with 414', async () => {
    const h = await startSwivel();
    const big = await rawExchange(h.port, `GET ${h.ipUrl} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    expect(big.status).toBe(431);
    expect(rawHeader(big, 'x-swivel-error')).toBe('request_header_too_large');
    const longUri = await rawExchange(h.port, `GET ${h.ipUrl}?q=${'a'.repeat(70 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(longUri.status).toBe(414);
    // Under --max-header-size but over the 8 KiB request-target limit: 414 as well.
    const midUri = await rawExchange(h.port, `GET ${h.ipUrl}?q=${'a'.repeat(9 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(midUri.status).toBe(414);
    expect(connects(h)).toBe(0);
  });

  it('answers more than --max-headers header fields with 431, and serves a head just under it', async () => {
    const h = await startSwivel({ flags: { 'max-headers': 50 } });
    const lines = (n: number): string => Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join('');
    const over = await rawExchange(h.port, `GET ${h.ipUrl} HTTP/1.1\r\nHost: x\r\n${lines(300)}\r\n`);
    expect(over.status).toBe(431);
    const under = await rawExchange(h.port, `GET ${h.ipUrl} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${lines(40)}\r\n`);
    expect(under.status).toBe(200);
  });
});

describe('header timeout and connection cap', () => {
  it('closes slowloris, silent and bare-CRLF connections within --header-timeout while a good client is served', async () => {
    const h = await startSwivel({ flags: { 'header-timeout': '400ms' } });
    const slow: Array<Promise<{ closed: boolean; elapsedMs: number }>> = [];
    for (let i = 0; i < 20; i++) slow.push(slowloris(h.port, 3000));
    const silent = Array.from({ length: 20 }, () => rawExchange(h.port, undefined, 3000));
    const crlf = Array.from({ length: 5 }, () => rawExchange(h.port, '\r\n\r\n', 3000));
    const good = await proxyGet(h.port, h.ipUrl);
    expect(good.status).toBe(200);
    for (const r of await Promise.all([...slow, ...silent, ...crlf])) {
      expect(r.closed).toBe(true);
      // 400 ms plus node's sweep interval (≤ 100 ms here) and scheduling slack on a busy machine.
      expect(r.elapsedMs).toBeLessThan(2500);
    }
  });

  it('closes connections beyond --max-connections at once and counts them', async () => {
    const h = await startSwivel({ flags: { 'max-connections': 3 } });
    const held = await Promise.all(Array.from({ length: 3 }, () => openSocket(h.port)));
    const extra = await rawExchange(h.port, `GET ${h.ipUrl} HTTP/1.1\r\nHost: x\r\n\r\n`, 2000);
    expect(extra.closed).toBe(true);
    expect(extra.status).toBe(0);
    expect(h.app.http.droppedConnections).toBeGreaterThanOrEqual(1);
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect((await proxyGet(h.port, h.ipUrl)).status).toBe(200);
  });
});

describe('destination policy', () => {
  it('refuses private targets with 403 under --deny-private-targets and other ports under --allow-ports', async () => {
    const h = await startSwivel({ flags: { 'deny-private-targets': true } });
    const t = `127.0.0.1:${h.sim.target.port}`;
    const denied = await rawExchange(h.port, `CONNECT ${t} HTTP/1.1\r\nHost: ${t}\r\n\r\n`);
    expect(denied.status).toBe(403);
    expect(rawHeader(denied, 'x-swivel-error')).toBe('target_denied');
    const plain = await rawExchange(h.port, `GET http://10.0.0.1/x HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n`);
    expect(plain.status).toBe(403);
    expect(connects(h)).toBe(0);
  });

  it('lets only --allow-ports through', async () => {
    const h = await startSwivel({ flags: { 'allow-ports': '443,8443' } });
    const t = `127.0.0.1:${h.sim.target.port}`;
    const denied = await rawExchange(h.port, `CONNECT ${t} HTTP/1.1\r\nHost: ${t}\r\n\r\n`);
    expect(denied.status).toBe(403);
    expect(connects(h)).toBe(0);
  });
});

describe('drain', () => {
  it('answers a request in flight during a drain with Connection: close', async () => {
    const h = await startSwivel();
    await Promise.all(h.sim.upstreams.map((u) => u.setMode('slow-start', { delayMs: 300 })));
    const pending = rawExchange(h.port, `GET ${h.ipUrl} HTTP/1.1\r\nHost: x\r\n\r\n`, 3000);
    await new Promise((r) => setTimeout(r, 100));
    const stopping = h.app.stop(2000);
    const answer = await pending;
    await stopping;
    expect(answer.status).toBe(200);
    expect(rawHeader(answer, 'connection')).toBe('close');
  });
});

function openSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });
}

/** Sends a head one byte every 100 ms, never finishing; resolves when the server closes (or the bound). */
function slowloris(port: number, boundMs: number): Promise<{ closed: boolean; elapsedMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const head = 'GET http://example.test/ HTTP/1.1\r\nHost: example.test\r\nX-Slow: ';
    const s = net.connect({ host: '127.0.0.1', port });
    let i = 0;
    const tick = setInterval(() => {
      if (!s.destroyed && s.writable) s.write(head[i % head.length]!);
      i++;
    }, 100);
    const done = (closed: boolean): void => {
      clearInterval(tick);
      clearTimeout(bound);
      s.destroy();
      resolve({ closed, elapsedMs: Date.now() - started });
    };
    const bound = setTimeout(() => done(false), boundMs);
    s.on('error', () => {});
    s.once('close', () => done(true));
  });
}
