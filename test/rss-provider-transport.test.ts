/**
 * The provider client's default transport, node:http keep-alive agents (undici only when a
 * dispatcher is injected: provider-client.test.ts covers that path). The same contract: one
 * deadline, coded errors, bounded bodies, and every answer read or destroyed so the keep-alive
 * connection survives failures. Real sockets on loopback.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SwivelError, type ErrorCode } from '../src/errors.js';
import { ProviderClient, type ProviderClientOptions } from '../src/provider/client.js';
import { NodeAgents, send } from '../src/provider/transport.js';

const APP_KEY = 'k3y-SECRET-rss-0123456789';
const LIST = Array.from({ length: 10 }, (_, i) => `10.0.0.${i + 1}:${8000 + i}`);

async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ base: string; connections: () => number }> {
  let connections = 0;
  const server = createServer(handler);
  server.on('connection', (_socket: Socket) => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}/gateway`, connections: () => connections };
}

const ok = (_req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code: 200, data: { list: LIST } }));
};

function client(apiBase: string, options: Partial<ProviderClientOptions> = {}): ProviderClient {
  const agents = new NodeAgents();
  onTestFinished(() => agents.close());
  return new ProviderClient({ apiBase, appKey: APP_KEY, agents, timeoutMs: 2_000, ...options });
}

async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<SwivelError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SwivelError);
  const swivelErr = err as SwivelError;
  expect(swivelErr.code).toBe(code);
  expect(`${swivelErr.message} ${JSON.stringify(swivelErr.details ?? {})}`).not.toContain(APP_KEY);
  return swivelErr;
}

describe('provider transport over node:http', () => {
  it('extracts, and reuses one keep-alive connection for calls in a row', async () => {
    const server = await startServer(ok);
    const c = client(server.base);
    for (let i = 0; i < 3; i++) expect((await c.extract({ num: 10 })).endpoints).toHaveLength(10);
    expect(server.connections()).toBe(1);
  });

  it('maps a server that never answers to provider_timeout, and a trickling body too', async () => {
    const silent = await startServer(() => undefined);
    const err = await rejection(client(silent.base, { timeoutMs: 200 }).extract({ num: 1 }), 'provider_timeout');
    expect(err.details).toMatchObject({ timeoutMs: 200 });
    const trickle = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"code":200,');
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    await rejection(client(trickle.base, { timeoutMs: 300 }).extract({ num: 1 }), 'provider_timeout');
  });

  it('maps a closed port to provider_unreachable with its errno, and a cut body to provider_unreachable', async () => {
    const closed = await new Promise<string>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(`http://127.0.0.1:${port}/gateway`));
      });
    });
    const err = await rejection(client(closed).extract({ num: 1 }), 'provider_unreachable');
    expect(err.details).toMatchObject({ errno: 'ECONNREFUSED' });
    const cut = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"code":200,');
      setImmediate(() => res.socket?.destroy());
    });
    await rejection(client(cut.base).extract({ num: 1 }), 'provider_unreachable');
  });

  it('reads or destroys every body: one connection survives HTTP errors, a second only after oversized answers', async () => {
    let n = 0;
    const server = await startServer((req, res) => {
      n++;
      if (n <= 3) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('x'.repeat(100_000));
      } else ok(req, res);
    });
    const c = client(server.base, { maxBodyBytes: 200_000 });
    for (let i = 0; i < 3; i++) await rejection(c.extract({ num: 1 }), 'provider_http');
    expect((await c.extract({ num: 10 })).endpoints).toHaveLength(10);
    expect(server.connections()).toBe(1);
    const big = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"code":200,"data":{"list":[${'"1.1.1.1:1",'.repeat(50_000)}"1.1.1.1:1"]}}`);
    });
    await rejection(client(big.base, { maxBodyBytes: 10_000 }).extract({ num: 1 }), 'provider_malformed');
  });

  it('rejects with the caller abort reason, not a provider error', async () => {
    const server = await startServer(() => undefined);
    const controller = new AbortController();
    const pending = client(server.base).extract({ num: 1 }, controller.signal);
    setTimeout(() => controller.abort(new Error('stopping')), 50);
    await expect(pending).rejects.toThrow('stopping');
    await expect(client(server.base).extract({ num: 1 }, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('sends a POST body with its length and returns status, content type, location and Retry-After', async () => {
    let seen: { method?: string; length?: string; body: string } = { body: '' };
    const server = await startServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen = { method: req.method, length: req.headers['content-length'], body };
        res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '7', location: '/elsewhere' });
        res.end('slow down');
      });
    });
    const agents = new NodeAgents();
    onTestFinished(() => agents.close());
    const body = 'a=1&b=ü';
    const response = await send(`${server.base}/x`, { agents, method: 'POST', timeoutMs: 2_000, maxBodyBytes: 1_000, body });
    expect(seen).toEqual({ method: 'POST', length: String(Buffer.byteLength(body)), body });
    expect(response).toEqual({ status: 429, contentType: 'text/plain', location: '/elsewhere', retryAfter: '7', text: 'slow down' });
  });
});
