/**
 * The plain-HTTP forwarding engine (upstream/http-forward.ts) against a raw loopback "upstream"
 * that sends exactly the bytes each case needs: framing (Content-Length, chunked, close-delimited),
 * what the strict parser must refuse (smuggling shapes, bad chunk sizes, obs-fold, oversized heads),
 * 1xx interim answers, 407, cancellation by the dialer's ctl and discard, and backpressure.
 * Client side: a node:http server whose handler delivers the answer, read by a raw socket.
 */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Endpoint } from '../src/pool/endpoint.js';
import { createHttpProxyForwarder } from '../src/upstream/http-forward.js';
import { UpstreamSockets } from '../src/upstream/h1-sockets.js';
import { cancelDial, type DialCancel } from '../src/upstream/types.js';
import { rawExchange, rawHeader } from './helpers/raw-http.js';
import { front as harnessFront, rawUpstream, runCleanups, waitFor, type FrontOptions } from './helpers/forward-harness.js';

afterEach(runCleanups);

/** Every endpoint here carries upstream credentials (the Proxy-Authorization test reads them). */
const front = (port: number, opts: FrontOptions = {}) => harnessFront(port, { username: 'u', password: 'p', ...opts });

const GET = (port: number, path = '/x'): string =>
  `GET http://127.0.0.1:${port}${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
const TARGET_PORT = 9; // never dialled: the raw upstream answers for the target

describe('framing', () => {
  it('relays a Content-Length body whole, sends absolute-form and our credentials upstream, strips hop-by-hop', async () => {
    const up = await rawUpstream((s) =>
      s.write(
        'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nX-End: e\r\n\r\nhello',
      ),
    );
    const f = await front(up.port);
    const a = await rawExchange(f.port, GET(TARGET_PORT), 500);
    expect(a.status).toBe(200);
    expect(a.text.endsWith('\r\n\r\nhello')).toBe(true);
    expect(rawHeader(a, 'x-end')).toBe('e');
    expect(rawHeader(a, 'x-hop')).toBeUndefined();
    expect(a.text).not.toContain('timeout=5');
    expect(up.heads[0]!.head).toMatch(/^GET http:\/\/127\.0\.0\.1:9\/x HTTP\/1\.1\r\n/);
    expect(up.heads[0]!.head).toContain(`proxy-authorization: Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(f.outcomes).toEqual(['ok']);
  });

  it('re-frames a chunked answer for the client and keeps duplicate Set-Cookie in order', async () => {
    const up = await rawUpstream((s) =>
      s.write(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n',
      ),
    );
    const f = await front(up.port);
    const res = await fetchVia(f.port);
    expect(res.status).toBe(200);
    expect(res.body).toBe('abcdefg');
    expect(res.rawHeaders.filter((_, i, all) => i % 2 === 1 && all[i - 1]!.toLowerCase() === 'set-cookie')).toEqual(['a=1', 'b=2']);
  });

  it('relays a close-delimited body to its end', async () => {
    const up = await rawUpstream((s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart1-');
      setTimeout(() => s.end('part2'), 20);
    });
    const f = await front(up.port);
    const res = await fetchVia(f.port);
    expect(res.body).toBe('part1-part2');
    await waitFor(() => f.outcomes.length === 1);
    expect(f.outcomes).toEqual(['ok']);
  });

  it('passes a 103 interim answer by and relays the final one', async () => {
    const up = await rawUpstream((s) =>
      s.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'),
    );
    const f = await front(up.port);
    const res = await fetchVia(f.port);
    expect(res.status).toBe(201);
    expect(res.body).toBe('ok');
  });

  it('answers HEAD with the upstream head and no body, and the next request still works', async () => {
    const up = await rawUpstream((s, head) =>
      s.write(head.startsWith('HEAD') ? 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n' : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
    );
    const f = await front(up.port);
    const a = await rawExchange(f.port, GET(TARGET_PORT).replace('GET', 'HEAD'), 1000);
    expect(a.status).toBe(200);
    expect(rawHeader(a, 'content-length')).toBe('5');
    expect(a.text.endsWith('\r\n\r\n')).toBe(true);
    const b = await rawExchange(f.port, GET(TARGET_PORT), 1000);
    expect(b.text.endsWith('\r\n\r\nok')).toBe(true);
    expect(f.outcomes).toEqual(['ok', 'ok']);
  });

  it('cuts the client connection when the upstream body ends short of its Content-Length', async () => {
    const up = await rawUpstream((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort'));
    const f = await front(up.port);
    const a = await rawExchange(f.port, GET(TARGET_PORT), 1000);
    expect(a.status).toBe(200);
    expect(a.closed).toBe(true);
    await waitFor(() => f.outcomes.length === 1);
    expect(f.outcomes).toEqual(['cut']);
  });
});

describe('malformed upstream answers are refused before anything reaches the client', () => {
  const cases: Array<[string, string]> = [
    [
      'Transfer-Encoding with Content-Length',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    ],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
    ['a Content-Length that is not a number', 'HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\nabc'],
    ['an obs-folded header', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n'],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n'],
    ['a bare LF in the head', 'HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 0\r\n\r\n'],
    ['a status line without a code', 'HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n'],
    ['a NUL in a header value', 'HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\nContent-Length: 0\r\n\r\n'],
  ];
  it.each(cases)('%s', async (_name, bytes) => {
    const up = await rawUpstream((s) => s.write(bytes));
    const f = await front(up.port);
    const a = await rawExchange(f.port, GET(TARGET_PORT), 1000);
    expect(a.status).toBe(502);
    expect(rawHeader(a, 'x-code')).toBe('upstream_reset');
    expect(f.answers).toHaveLength(0);
  });

  it('an invalid chunk size after the head cuts the client instead of passing garbage on', async () => {
    const up = await rawUpstream((s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'));
    const f = await front(up.port);
    const a = await rawExchange(f.port, GET(TARGET_PORT), 1000);
    expect(a.text).not.toContain('abc');
    expect(a.closed).toBe(true);
  });

  it('a head larger than the parser accepts', async () => {
    const up = await rawUpstream((s) => s.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\nContent-Length: 0\r\n\r\n`));
    const f = await front(up.port);
    const a = await rawExchange(f.port, GET(TARGET_PORT), 1000);
    expect(a.status).toBe(502);
  });
});

describe('upstream refusals and timeouts', () => {
  it('turns a 407 into upstream_auth_failed and never shows it to the client', async () => {
    const up = await rawUpstream((s) => s.write('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\nnope'));
    const f = await front(up.port);
    const a = await rawExchange(f.port, GET(TARGET_PORT), 1000);
    expect(a.status).toBe(502);
    expect(rawHeader(a, 'x-code')).toBe('upstream_auth_failed');
    expect(a.text).not.toContain('nope');
  });

  it('times out a silent upstream with upstream_timeout', async () => {
    const up = await rawUpstream(() => {});
    const f = await front(up.port, { responseTimeoutMs: 100 });
    const a = await rawExchange(f.port, GET(TARGET_PORT), 2000);
    expect(rawHeader(a, 'x-code')).toBe('upstream_timeout');
  });

  it('cuts a body that stalls longer than the idle timeout', async () => {
    const up = await rawUpstream((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    const f = await front(up.port, { idleTimeoutMs: 100 });
    const a = await rawExchange(f.port, GET(TARGET_PORT), 2000);
    expect(a.status).toBe(200);
    expect(a.closed).toBe(true);
    expect(f.outcomes).toEqual(['cut']);
  });

  it('answers connect_failed-class codes for an upstream that refuses the connection', async () => {
    const closed = net.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const f = await front(port);
    const a = await rawExchange(f.port, GET(TARGET_PORT), 1000);
    expect(rawHeader(a, 'x-code')).toBe('upstream_refused');
  });
});

describe('cancellation', () => {
  it("the attempt's ctl tears the upstream request down at once and rejects", async () => {
    const up = await rawUpstream(() => {});
    const f = await front(up.port);
    const pending = rawExchange(f.port, GET(TARGET_PORT), 2000);
    await waitFor(() => up.heads.length === 1);
    const upstreamSocket = up.sockets[0]!;
    const closed = once(upstreamSocket, 'close');
    cancelDial(f.ctls[0]!);
    await closed;
    expect(upstreamSocket.destroyed).toBe(true);
    const a = await pending;
    expect(rawHeader(a, 'x-code')).toBe('client_closed');
  });

  it('a ctl cancelled before dispatch never reaches the upstream', async () => {
    const up = await rawUpstream(() => {});
    const forward = createHttpProxyForwarder({
      sockets: new UpstreamSockets({ connectTimeoutMs: 1000 }),
      responseTimeoutMs: 1000,
      idleTimeoutMs: 1000,
    });
    const endpoint = new Endpoint({ host: '127.0.0.1', port: up.port }, 'k', 0, Number.MAX_SAFE_INTEGER);
    const ctl: DialCancel = { cancelled: true, onCancel: undefined };
    const req = { method: 'GET', rawHeaders: ['Host', 'x'], headers: { host: 'x' } } as unknown as http.IncomingMessage;
    await expect(forward(req, 'http://127.0.0.1:9/', endpoint, ctl)).rejects.toMatchObject({ code: 'client_closed' });
    await new Promise((r) => setTimeout(r, 50));
    expect(up.heads).toHaveLength(0);
  });

  it('discard() of an answer mid-body aborts the upstream and cuts the client', async () => {
    const up = await rawUpstream((s) => s.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'a'.repeat(1000)}`));
    const f = await front(up.port);
    const pending = rawExchange(f.port, GET(TARGET_PORT), 2000);
    await waitFor(() => f.answers.length === 1);
    const upstreamSocket = up.sockets[0]!;
    f.answers[0]!.discard();
    await once(upstreamSocket, 'close');
    const a = await pending;
    expect(a.closed).toBe(true);
    expect(f.outcomes).toEqual(['cut']);
  });

  it('a late answer discarded before delivery frees its upstream connection', async () => {
    const up = await rawUpstream((s) => s.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nabc`));
    const forward = createHttpProxyForwarder({
      sockets: new UpstreamSockets({ connectTimeoutMs: 1000 }),
      responseTimeoutMs: 1000,
      idleTimeoutMs: 1000,
    });
    const endpoint = new Endpoint({ host: '127.0.0.1', port: up.port }, 'k', 0, Number.MAX_SAFE_INTEGER);
    const req = { method: 'GET', rawHeaders: ['Host', 'x'], headers: { host: 'x' } } as unknown as http.IncomingMessage;
    const answer = await forward(req, 'http://127.0.0.1:9/', endpoint, { cancelled: false, onCancel: undefined });
    expect(answer.statusCode).toBe(200);
    const closed = once(up.sockets[0]!, 'close');
    answer.discard();
    await closed;
  });
});

describe('backpressure', () => {
  it('relays a body larger than every buffer on the way to a slow reader, byte for byte', async () => {
    const size = 8 * 1024 * 1024;
    const body = Buffer.alloc(size, 'x');
    const up = await rawUpstream((s) => {
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      s.write(body);
    });
    const f = await front(up.port);
    const received = await new Promise<number>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: f.port, path: `http://127.0.0.1:${TARGET_PORT}/big`, agent: false }, (res) => {
        let n = 0;
        res.on('data', (d: Buffer) => {
          n += d.length;
          // A slow reader: pause now and then so the client socket fills up.
          res.pause();
          setTimeout(() => res.resume(), 1);
        });
        res.on('end', () => resolve(n));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    expect(received).toBe(size);
    expect(f.outcomes).toEqual(['ok']);
  });
});

/** A GET through the front with node's client, body collected. */
function fetchVia(port: number): Promise<{ status: number; body: string; rawHeaders: string[] }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `http://127.0.0.1:${TARGET_PORT}/x`, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, rawHeaders: res.rawHeaders }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
