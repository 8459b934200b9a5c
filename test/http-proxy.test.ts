/**
 * The HTTP listener's own bookkeeping, through real sockets and the sim: a client that leaves
 * cancels what it was waiting for (the dial, or the body being streamed) at once, inFlight comes
 * back to zero, and the outcome hook hears how each request ended; several requests on one
 * kept-alive connection each rotate and each report.
 */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { rawExchange } from './helpers/raw-http.js';
import { startSwivel, stopAll, type Harness } from './helpers/swivel.js';

afterEach(stopAll);

const inFlight = (h: Harness): number => h.app.stats().pools[0]!.endpoints.reduce((n, e) => n + e.inFlight, 0);

/** A target that sends a head and the start of a long body, then holds the rest. */
async function holdingTarget(): Promise<{ url: string; closed: Promise<unknown>; close: () => void }> {
  let closedResolve: (v: unknown) => void = () => {};
  const closed = new Promise((r) => (closedResolve = r));
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-length': 10_000_000 });
    res.write('x'.repeat(1000));
    req.socket.once('close', closedResolve);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hold`,
    closed,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('a client that leaves', () => {
  it('mid-body: the upstream side is torn down and the endpoint is no longer in flight', async () => {
    const h = await startSwivel();
    const target = await holdingTarget();
    try {
      const socket = net.connect(h.port, '127.0.0.1');
      socket.write(`GET ${target.url} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await once(socket, 'data');
      expect(inFlight(h)).toBe(1);
      socket.destroy();
      // The sim upstream's request to the target is aborted only if swivel aborted its own.
      await target.closed;
      await expect.poll(() => inFlight(h), { timeout: 2_000, interval: 10 }).toBe(0);
    } finally {
      target.close();
    }
  });

  it('while the upstream is silent: the dial stops at once, nothing is retried', async () => {
    const h = await startSwivel();
    await Promise.all(h.sim.upstreams.map((u) => u.setMode('silent')));
    const socket = net.connect(h.port, '127.0.0.1');
    socket.write(`GET ${h.ipUrl} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await expect.poll(() => inFlight(h), { timeout: 2_000, interval: 10 }).toBe(1);
    socket.destroy();
    await expect.poll(() => inFlight(h), { timeout: 2_000, interval: 10 }).toBe(0);
    const tried = h.sim.upstreams.reduce((n, u) => n + u.requests, 0);
    expect(tried).toBeLessThanOrEqual(1);
  });
});

describe('kept-alive client connections', () => {
  it('rotate per request and report every request to the outcome hook', async () => {
    const h = await startSwivel({ flags: { 'access-log': true } });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ips: string[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        ips.push(
          await new Promise<string>((resolve, reject) => {
            http
              .get({ host: '127.0.0.1', port: h.port, path: h.ipUrl, agent }, (res) => {
                let body = '';
                res.on('data', (d: Buffer) => (body += d.toString()));
                res.on('end', () => resolve((JSON.parse(body) as { ip: string }).ip));
              })
              .on('error', reject);
          }),
        );
      }
    } finally {
      agent.destroy();
    }
    expect(new Set(ips).size).toBe(4);
    await expect.poll(() => h.logs.find('access').length, { timeout: 2_000, interval: 10 }).toBe(4);
    const outcomes = h.logs.find('access');
    expect(outcomes.every((o) => o.code === 'ok' && o.status === 200 && (o.bytesOut as number) > 0)).toBe(true);
    expect(new Set(outcomes.map((o) => o.endpoint)).size).toBe(4);
  });
});

describe('a request repaired from Content-Length: 5, 5', () => {
  it('is answered even when its upstream takes longer than --header-timeout', async () => {
    const h = await startSwivel({ flags: { 'header-timeout': '300ms' } });
    await Promise.all(h.sim.upstreams.map((u) => u.setMode('slow-start', { delayMs: 700 })));
    const answer = await rawExchange(h.port, `POST ${h.echoUrl} HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello`, 5000);
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('hello');
  });
});
