/**
 * The small complete answer written straight to the client socket (upstream/direct-response.ts):
 * what the client reads is what node:http would have written (status line and reason, the
 * upstream's end-to-end fields, a Date when the upstream sent none, Connection: keep-alive and
 * Keep-Alive), the client connection carries the next request, pipelined answers keep their
 * order, and a Connection: close of ours still goes through ServerResponse.
 */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Endpoint } from '../src/pool/endpoint.js';
import { createHttpProxyForwarder } from '../src/upstream/http-forward.js';
import { UpstreamSockets } from '../src/upstream/h1-sockets.js';
import { requestFieldLines } from '../src/protocol/hop-headers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An upstream answering each request head with `answer(head)` (possibly later). */
async function upstream(answer: (socket: net.Socket, head: string) => void): Promise<number> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) !== -1) {
        answer(socket, buf.slice(0, end));
        buf = buf.slice(end + 4);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as net.AddressInfo).port;
}

async function front(upstreamPort: number, close = false): Promise<number> {
  const sockets = new UpstreamSockets({ connectTimeoutMs: 2000 });
  const forward = createHttpProxyForwarder({ sockets, responseTimeoutMs: 2000, idleTimeoutMs: 2000 });
  const endpoint = new Endpoint({ host: '127.0.0.1', port: upstreamPort }, 'k', 0, Number.MAX_SAFE_INTEGER);
  const server = http.createServer((req, res) => {
    forward(req, req.url ?? '', endpoint, { cancelled: false, onCancel: undefined }).then(
      (answer) => answer.deliver(res, close, { delivered: () => {} }),
      () => res.writeHead(502, { 'content-length': 0 }).end(),
    );
  });
  server.keepAliveTimeout = 5000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    sockets.close();
  });
  return (server.address() as net.AddressInfo).port;
}

/** Write `bytes` on one kept-alive client connection and collect until `done(text)` holds. */
async function converse(port: number, bytes: string, done: (text: string) => boolean): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port });
  cleanups.push(() => void socket.destroy());
  let text = '';
  await once(socket, 'connect');
  socket.write(bytes);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no full answer: ${JSON.stringify(text)}`)), 2000);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (done(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return text;
}

const get = (path: string): string => `GET http://127.0.0.1:9${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
const count = (text: string, s: string): number => text.split(s).length - 1;

describe('direct answers', () => {
  it('carry what node:http would write, and the connection serves the next request', async () => {
    const port = await front(
      await upstream((s, head) =>
        s.write(
          head.includes('/dated')
            ? 'HTTP/1.1 201 Created\r\nDate: Tue, 01 Dec 2026 00:00:00 GMT\r\nX-A: 1\r\nKeep-Alive: timeout=9\r\nContent-Length: 3\r\n\r\nabc'
            : 'HTTP/1.1 200 Whatever\r\nX-B: 2\r\nContent-Length: 2\r\n\r\nok',
        ),
      ),
    );
    const text = await converse(port, get('/dated') + get('/plain'), (t) => t.endsWith('\r\n\r\nok'));
    const [first, second] = text.split(/(?=HTTP\/1\.1 )/);
    expect(first).toBe(
      'HTTP/1.1 201 Created\r\nDate: Tue, 01 Dec 2026 00:00:00 GMT\r\nX-A: 1\r\nContent-Length: 3\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nabc',
    );
    expect(second).toMatch(
      /^HTTP\/1\.1 200 OK\r\nX-B: 2\r\nContent-Length: 2\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nok$/,
    );
  });

  it('pipelined: a quick answer waits behind a slow one on the same client connection', async () => {
    const port = await front(
      await upstream((s, head) => {
        if (head.includes('/slow')) setTimeout(() => s.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow'), 50);
        else s.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfast');
      }),
    );
    const text = await converse(port, get('/slow') + get('/fast'), (t) => count(t, 'HTTP/1.1 200') === 2 && /(slow|fast)$/.test(t));
    expect(text.indexOf('slow')).toBeLessThan(text.indexOf('fast'));
    expect(text.endsWith('fast')).toBe(true);
  });

  it('an answer we close goes through ServerResponse with Connection: close', async () => {
    const port = await front(await upstream((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')), true);
    const text = await converse(port, get('/x'), (t) => t.endsWith('ok'));
    expect(text).toMatch(/\r\nConnection: close\r\n/);
    expect(text).not.toMatch(/keep-alive/i);
  });
});

describe('request head fields', () => {
  it('drops hop-by-hop fields and those Connection names, in one string', () => {
    const raw = [
      'Host',
      'h',
      'Connection',
      'x-drop, keep-alive',
      'X-Drop',
      '1',
      'Proxy-Authorization',
      'Basic a',
      'Accept',
      '*/*',
      'TE',
      'trailers',
    ];
    expect(requestFieldLines(raw, 'x-drop, keep-alive')).toBe('Host: h\r\nAccept: */*\r\n');
  });
});
