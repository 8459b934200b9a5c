import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Agent } from 'undici';
import { describe, it, expect, onTestFinished } from 'vitest';
import { SwivelError, type ErrorCode } from '../src/errors.js';
import { ProviderClient, type ProviderClientOptions } from '../src/provider/client.js';

const APP_KEY = 'k3y-SECRET-0123456789abcdef';

interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, received: Received) => void;

/** A real HTTP server on 127.0.0.1:0, closed (with its open sockets) when the test ends. */
async function startServer(handler: Handler): Promise<{ base: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const entry = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(entry);
      handler(req, res, entry);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}/gateway`, received };
}

function json(status: number, body: unknown): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

function client(apiBase: string, options: Partial<ProviderClientOptions> = {}): ProviderClient {
  const dispatcher = new Agent({ keepAliveTimeout: 1_000, connections: 1 });
  onTestFinished(() => dispatcher.destroy());
  return new ProviderClient({ apiBase, appKey: APP_KEY, dispatcher, timeoutMs: 2_000, ...options });
}

/** The rejection, checked for its code and for the app_key anywhere in it. */
async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<SwivelError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SwivelError);
  const err = caught as SwivelError;
  expect(err.code).toBe(code);
  expect(err.message).not.toContain(APP_KEY);
  expect(JSON.stringify(err.details ?? {})).not.toContain(APP_KEY);
  expect(String(err.stack)).not.toContain(APP_KEY);
  if (err.cause instanceof Error) expect(`${err.cause.message} ${err.cause.stack ?? ''}`).not.toContain(APP_KEY);
  return err;
}

const LIST = [Array.from({ length: 10 }, (_, i) => `150.109.114.72:${1140 + i}`)];

describe('ProviderClient.extract', () => {
  it('extracts the documented JSON answer and sends the query it was given', async () => {
    const { base, received } = await startServer(json(200, { code: 200, msg: 'ok', data: { list: LIST } }));
    const result = await client(base).extract({ cc: 'de', state: 'be', city: 'berlin', num: 10, life: 30, ep: 'hk', format: 'json' });
    expect(result.endpoints).toHaveLength(10);
    expect(result.endpoints[0]).toStrictEqual({ host: '150.109.114.72', port: 1140 });
    expect(result.malformed).toBe(0);

    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req?.method).toBe('GET');
    expect(req?.path).toBe('/gateway/ip/v3');
    expect([...(req?.query.keys() ?? [])]).toEqual(['app_key', 'cc', 'state', 'city', 'num', 'life', 'ep', 'format']);
    expect(Object.fromEntries(req?.query ?? [])).toEqual({
      app_key: APP_KEY,
      cc: 'de',
      state: 'be',
      city: 'berlin',
      num: '10',
      life: '30',
      ep: 'hk',
      format: 'json',
    });
  });

  it('leaves unset parameters out, encodes values, and joins a base with a trailing slash', async () => {
    const { base, received } = await startServer(json(200, { code: 200, data: { list: [] } }));
    await client(`${base}/`).extract({ num: 5, city: 'São Paulo&x=1', state: '' });
    expect(received[0]?.path).toBe('/gateway/ip/v3');
    expect(Object.fromEntries(received[0]?.query ?? [])).toEqual({ app_key: APP_KEY, num: '5', city: 'São Paulo&x=1' });
  });

  it('reads a text answer with the lb separator', async () => {
    const { base, received } = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('1.1.1.1:1|1.1.1.1:2\r\n2.2.2.2:3\r\n');
    });
    const result = await client(base).extract({ num: 3, format: 'txt', lb: '|' });
    expect(result.endpoints.map((e) => e.port)).toEqual([1, 2, 3]);
    expect(received[0]?.query.get('lb')).toBe('|');
  });

  it('maps code 3 to provider_auth, under a 200 and under a 401', async () => {
    const ok = await startServer(json(200, { code: 3, msg: 'app_key错误' }));
    await rejection(client(ok.base).extract({ num: 1 }), 'provider_auth');
    const unauthorized = await startServer(json(401, { code: 3, msg: 'invalid app_key' }));
    await rejection(client(unauthorized.base).extract({ num: 1 }), 'provider_auth');
  });

  it('maps code 156 to provider_unverified', async () => {
    const { base } = await startServer(json(200, { code: 156, msg: '账户未实名认证' }));
    await rejection(client(base).extract({ num: 1 }), 'provider_unverified');
  });

  it('maps other codes to provider_error with the provider message', async () => {
    const { base } = await startServer(json(200, { code: 10001, msg: '余额不足' }));
    const err = await rejection(client(base).extract({ num: 1 }), 'provider_error');
    expect(err.message).toBe('The provider answered code 10001: 余额不足');
    expect(err.details).toMatchObject({ providerCode: 10001 });
  });

  it('reads an error answered as JSON to a text-format request', async () => {
    const { base } = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('{"code":3,"msg":"app_key error"}');
    });
    await rejection(client(base).extract({ num: 1, format: 'txt' }), 'provider_auth');
  });

  it('maps HTTP 500 to provider_http with the redacted URL', async () => {
    const { base } = await startServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<h1>Internal Server Error</h1>');
    });
    const err = await rejection(client(base).extract({ num: 1 }), 'provider_http');
    expect(err.details).toMatchObject({ status: 500, url: `${base}/ip/v3?app_key=***&num=1` });
    expect(err.message).toBe(`The provider API answered HTTP 500 for ${base}/ip/v3?app_key=***&num=1.`);
  });

  it('maps a redirect to provider_http and keeps its location, redacted', async () => {
    const { base } = await startServer((_req, res) => {
      res.writeHead(302, { location: `https://elsewhere.example/gateway/ip/v3?app_key=${APP_KEY}` });
      res.end();
    });
    const err = await rejection(client(base).extract({ num: 1 }), 'provider_http');
    expect(err.details).toMatchObject({ status: 302, location: 'https://elsewhere.example/gateway/ip/v3?app_key=***' });
  });

  it('maps malformed JSON and an undocumented shape to provider_malformed', async () => {
    const broken = await startServer(json(200, '{"code":200,"data":{"list":[['));
    await rejection(client(broken.base).extract({ num: 1 }), 'provider_malformed');
    const shape = await startServer(json(200, { code: 200, data: { items: [] } }));
    await rejection(client(shape.base).extract({ num: 1 }), 'provider_malformed');
    const html = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>login</body></html>');
    });
    await rejection(client(html.base).extract({ num: 1 }), 'provider_malformed');
  });

  it('refuses an answer larger than maxBodyBytes', async () => {
    const { base } = await startServer(json(200, { code: 200, data: { list: LIST } }));
    await rejection(client(base, { maxBodyBytes: 64 }).extract({ num: 1 }), 'provider_malformed');
  });

  it('maps a server that never answers to provider_timeout', async () => {
    const { base } = await startServer(() => {
      /* silence until the client gives up */
    });
    const started = Date.now();
    const err = await rejection(client(base, { timeoutMs: 200 }).extract({ num: 1 }), 'provider_timeout');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(err.details).toMatchObject({ timeoutMs: 200 });
  });

  it('maps a body that trickles past the deadline to provider_timeout', async () => {
    const { base } = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"code":200,');
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    await rejection(client(base, { timeoutMs: 300 }).extract({ num: 1 }), 'provider_timeout');
  });

  it('maps a closed port to provider_unreachable', async () => {
    const { base } = await startServer(json(200, {}));
    const closed = await new Promise<string>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(`http://127.0.0.1:${port}/gateway`));
      });
    });
    expect(closed).not.toBe(base);
    const err = await rejection(client(closed).extract({ num: 1 }), 'provider_unreachable');
    expect(err.details).toMatchObject({ errno: 'ECONNREFUSED' });
  });

  it('rejects with the caller abort reason, not a provider error', async () => {
    const { base } = await startServer(() => {});
    const controller = new AbortController();
    const pending = client(base).extract({ num: 1 }, controller.signal);
    setTimeout(() => controller.abort(new Error('stopping')), 50);
    await expect(pending).rejects.toThrow('stopping');
    await expect(client(base).extract({ num: 1 }, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('scrubs an app_key the provider echoes back', async () => {
    const { base } = await startServer(json(200, { code: 40001, msg: `app_key ${APP_KEY} is disabled` }));
    const err = await rejection(client(base).extract({ num: 1 }), 'provider_error');
    expect(err.message).toBe('The provider answered code 40001: app_key *** is disabled');
  });

  it('blanks a short key without mangling the parameter name (no `app_***ey=***`)', async () => {
    const { base } = await startServer(json(200, { code: 40001, msg: 'bad request app_key=k; key k refused' }));
    const c = client(base, { appKey: 'k' });
    const err = await rejection(c.extract({ num: 1 }), 'provider_error');
    expect(err.message).toBe('The provider answered code 40001: bad request app_key=***; ***ey *** refused');
  });

  it('reads or destroys every body: one connection survives a run of failures', async () => {
    let n = 0;
    const { base } = await startServer((_req, res) => {
      n++;
      if (n <= 4) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('x'.repeat(100_000));
      } else {
        json(200, { code: 200, data: { list: LIST } })(_req, res, undefined as never);
      }
    });
    const c = client(base, { maxBodyBytes: 200_000 });
    for (let i = 0; i < 4; i++) await rejection(c.extract({ num: 1 }), 'provider_http');
    expect((await c.extract({ num: 10 })).endpoints).toHaveLength(10);
  });

  it('destroys a body it stops reading: one connection survives oversized answers', async () => {
    let n = 0;
    const { base } = await startServer((_req, res) => {
      n++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        n <= 3
          ? `{"code":200,"data":{"list":[${'"1.1.1.1:1",'.repeat(50_000)}"1.1.1.1:1"]}}`
          : JSON.stringify({ code: 200, data: { list: LIST } }),
      );
    });
    const c = client(base, { maxBodyBytes: 10_000 });
    for (let i = 0; i < 3; i++) await rejection(c.extract({ num: 1 }), 'provider_malformed');
    expect((await c.extract({ num: 10 })).endpoints).toHaveLength(10);
  });

  it('logs the extraction with its malformed count but without the key, and has a secret-free name', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const { base } = await startServer(json(200, { code: 200, data: { list: [['1.1.1.1:1', `1.1.1.1:0:u:pw-${APP_KEY}`]] } }));
    const c = client(base, { logger });
    expect(c.name).toBe(`api ${base}`);
    const result = await c.extract({ num: 2 });
    expect(result.malformed).toBe(1);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    // The warning itself is the refresher's (once per extraction, with the sub-pool): see refresher.test.ts.
    expect(result.firstMalformed).toBe('1.1.1.1:0:***');
    expect(records.find((r) => r.msg === 'extraction done')).toMatchObject({
      level: 20,
      malformed: 1,
      url: `${base}/ip/v3?app_key=***&num=2`,
    });
    expect(lines.join('')).not.toContain(APP_KEY);

    const withUser = new ProviderClient({ apiBase: 'http://user:pw@127.0.0.1:1/gateway', appKey: APP_KEY });
    expect(withUser.name).toBe('api http://***@127.0.0.1:1/gateway');
  });

  it('rejects a bad api base or an empty app key at construction', () => {
    for (const apiBase of ['', 'not a url', 'ftp://x/gateway', `http://x/gateway?app_key=${APP_KEY}`]) {
      try {
        new ProviderClient({ apiBase, appKey: APP_KEY });
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(SwivelError);
        expect((err as SwivelError).code).toBe('config_invalid');
        expect((err as Error).message).not.toContain(APP_KEY);
      }
    }
    expect(() => new ProviderClient({ apiBase: 'http://x/gateway', appKey: ' ' })).toThrow(SwivelError);
  });
});
