import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, it, expect } from 'vitest';
import { SwivelError } from '../src/errors.js';
import { Endpoint } from '../src/pool/endpoint.js';
import type { ParsedEndpoint } from '../src/provider/types.js';
import { authority, connectReplyStep, parseStatusLine } from '../src/upstream/http-connect.js';
import { createRelayTunnelOpener, type TunnelEngine } from '../src/upstream/opener.js';
import type { DialCancel, RelayTunnel, TunnelTimeouts } from '../src/upstream/types.js';
import { cancelDial, closeTunnel } from '../src/upstream/types.js';

const TIMEOUTS: TunnelTimeouts = { connectTimeoutMs: 1_000, responseTimeoutMs: 1_000 };

describe('parseStatusLine', () => {
  it.each([
    ['HTTP/1.1 200 Connection established', 200],
    ['HTTP/1.0 200 OK', 200],
    ['HTTP/1.1 407 Proxy Authentication Required', 407],
    ['HTTP/1.1 503', 503],
    ['HTTP/1.1 100 Continue', 100],
    ['HTTP/1.1 999 Odd', 999],
  ])('%j → %i', (line, status) => {
    expect(parseStatusLine(line)).toBe(status);
  });

  it.each([
    '',
    'garbage',
    'SSH-2.0-OpenSSH_9.6',
    'HTTP/2 200',
    'http/1.1 200 OK',
    'HTTP/1.1',
    'HTTP/1.1 abc OK',
    'HTTP/1.1 20 X',
    'HTTP/1.1 099 X',
  ])('%j is not a status line', (line) => {
    expect(parseStatusLine(line)).toBe(-1);
  });
});

describe('authority', () => {
  it('writes host:port, bracketing IPv6 literals', () => {
    expect(authority('example.com', 443)).toBe('example.com:443');
    expect(authority('203.0.113.1', 80)).toBe('203.0.113.1:80');
    expect(authority('2001:db8::1', 443)).toBe('[2001:db8::1]:443');
    expect(authority('::1', 8080)).toBe('[::1]:8080');
  });
});

describe('connectReplyStep', () => {
  const step = (text: string) => connectReplyStep(Buffer.from(text, 'latin1'), '203.0.113.1:8001');

  it('asks for more until the head is complete', () => {
    expect(step('')).toEqual({ kind: 'more' });
    expect(step('HTTP/1.1 200 Connection established\r\n')).toEqual({ kind: 'more' });
    expect(step('HTTP/1.1 200 Connection established\r\nVia: x\r\n\r')).toEqual({ kind: 'more' });
  });

  // The step reads the status from the bytes; it must agree with parseStatusLine on every line.
  it.each([
    'HTTP/1.1 200 OK',
    'HTTP/1.1 200',
    'HTTP/1.0 299 x',
    'HTTP/1.10 200 OK',
    'HTTP/1.1 2000 OK',
    'HTTP/1.1 20x OK',
    'HTTP/1.1  200 OK',
    'HTTP/1.1 099 OK',
    'HTTP/2 200 OK',
    'HTTP/1.1 407 Proxy Authentication Required',
    'http/1.1 200 OK',
    'HTTP/1.',
  ])('judges %j as parseStatusLine does', (line) => {
    const status = parseStatusLine(line);
    const r = step(`${line}\r\n\r\n`);
    if (status >= 200 && status < 300) expect(r.kind).toBe('established');
    else if (status === -1) expect(r).toMatchObject({ kind: 'failed', error: { code: 'upstream_protocol' } });
    else expect(r).toMatchObject({ kind: 'failed', error: { details: { status } } });
  });

  it('establishes on 2xx and consumes only the head, leaving trailing tunnel bytes', () => {
    const head = 'HTTP/1.1 200 Connection established\r\nVia: 1.1 upstream\r\n\r\n';
    expect(step(`${head}\x16\x03\x01payload`)).toEqual({ kind: 'established', consumed: head.length });
    expect(step('HTTP/1.0 204 No Content\r\n\r\n')).toEqual({ kind: 'established', consumed: 27 });
  });

  it.each([407, 401])('fails with upstream_auth_failed on %i', (status) => {
    const r = step(`HTTP/1.1 ${status} Nope\r\nProxy-Authenticate: Basic\r\n\r\n`);
    expect(r.kind).toBe('failed');
    if (r.kind !== 'failed') return;
    expect(r.error.code).toBe('upstream_auth_failed');
    expect(r.error.details).toEqual({ endpoint: '203.0.113.1:8001', status });
  });

  it.each([502, 503, 504])('fails with target_unreachable on %i, the gateway speaking of the target', (status) => {
    const r = step(`HTTP/1.1 ${status} Bad Gateway: no such host\r\n\r\n`);
    expect(r.kind).toBe('failed');
    if (r.kind !== 'failed') return;
    expect(r.error.code).toBe('target_unreachable');
    expect(r.error.message).toContain('no such host');
    expect(r.error.details).toEqual({ endpoint: '203.0.113.1:8001', status });
  });

  it.each([403, 500, 301, 100])('fails with upstream_rejected on %i, keeping the status', (status) => {
    const r = step(`HTTP/1.1 ${status} X\r\n\r\n`);
    expect(r.kind).toBe('failed');
    if (r.kind !== 'failed') return;
    expect(r.error.code).toBe('upstream_rejected');
    expect(r.error.details).toEqual({ endpoint: '203.0.113.1:8001', status });
  });

  it('fails with upstream_protocol on garbage', () => {
    const r = step('SSH-2.0-OpenSSH\r\n\r\n');
    expect(r.kind).toBe('failed');
    if (r.kind !== 'failed') return;
    expect(r.error.code).toBe('upstream_protocol');
    expect(r.error.details).toEqual({ endpoint: '203.0.113.1:8001', status: -1 });
  });
});

// Real sockets: a tiny upstream proxy on 127.0.0.1:0 per test, everything closed afterwards.

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

const tunnels = new Set<RelayTunnel>();

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  for (const t of tunnels) closeTunnel(t);
  tunnels.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function track(socket: net.Socket): net.Socket {
  sockets.add(socket);
  socket.on('error', () => {});
  return socket;
}

interface Upstream {
  port: number;
  /** Request heads received, one per connection. */
  requests: string[];
  /** Server-side sockets, in accept order. */
  accepted: net.Socket[];
}

/**
 * An upstream proxy that calls `onRequest` once it has read a whole request head. With
 * `onRequest` undefined it only accepts (silent upstream).
 */
async function upstream(
  onRequest?: (socket: net.Socket, head: string) => void,
  onAccept?: (socket: net.Socket) => void,
): Promise<Upstream> {
  const up: Upstream = { port: 0, requests: [], accepted: [] };
  const server = net.createServer((socket) => {
    track(socket);
    up.accepted.push(socket);
    onAccept?.(socket);
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const head = buffered.slice(0, end + 4);
      up.requests.push(head);
      onRequest?.(socket, head);
    };
    socket.on('data', onData);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.port = (server.address() as net.AddressInfo).port;
  return up;
}

function endpointAt(port: number, extra: Partial<ParsedEndpoint> = {}): Endpoint {
  return new Endpoint({ host: '127.0.0.1', port, ...extra }, '*/*/*/*', Date.now(), Date.now() + 60_000);
}

async function tunnelError(p: Promise<RelayTunnel>): Promise<SwivelError> {
  try {
    tunnels.add(await p);
  } catch (err) {
    expect(err).toBeInstanceOf(SwivelError);
    return err as SwivelError;
  }
  throw new Error('expected the tunnel to fail');
}

type Open = (endpoint: Endpoint, host: string, port: number, timeouts: TunnelTimeouts, cancel?: DialCancel) => Promise<RelayTunnel>;

/** Both engines: net.Socket (handshake.ts) and raw handles (raw-handshake.ts), one protocol. */
const ENGINES: Array<[string, Open]> = (['net', 'raw'] as TunnelEngine[]).map((engine) => [
  engine === 'net' ? 'net.Socket' : 'raw handle',
  (endpoint, host, port, timeouts, cancel) => createRelayTunnelOpener('http', timeouts, engine)(endpoint, host, port, cancel),
]);

/** Write to the tunnel's upstream side and read its next chunk, whichever kind it is. */
function tunnelIo(t: RelayTunnel): { write(s: string): void; next(): Promise<string> } {
  if ('raw' in t) {
    return {
      write: (data) => t.raw.write(data),
      next: () =>
        new Promise((resolve, reject) => {
          t.raw.setSink({
            onRead: (n, buf) => {
              resolve(buf.toString('latin1', 0, n));
              return false;
            },
            onEnd: () => reject(new Error('end')),
            onError: (code) => reject(new Error(code)),
          });
          t.raw.readStart();
        }),
    };
  }
  track(t.socket);
  return {
    write: (data) => t.socket.write(data),
    next: () => {
      const got = once(t.socket, 'data').then(([c]) => String(c));
      t.socket.resume();
      return got;
    },
  };
}

/** A port nothing listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.each(ENGINES)('the CONNECT handshake over real sockets, on %s', (_engine, open) => {
  it('sends CONNECT, resolves on 200 and hands over bytes that came with the reply', async () => {
    const up = await upstream((socket) => socket.write('HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\nHELLO'));
    const tunnel = await open(endpointAt(up.port), 'example.com', 443, TIMEOUTS);
    tunnels.add(tunnel);
    expect(up.requests).toEqual(['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n']);
    expect(tunnel.head.toString()).toBe('HELLO');

    // Reading is stopped (nothing is lost before the relay takes over); the rest of the stream
    // goes both ways.
    const io = tunnelIo(tunnel);
    const server = up.accepted[0]!;
    const fromClient = once(server, 'data');
    io.write('ping');
    expect(String((await fromClient)[0])).toBe('ping');
    server.write('pong');
    expect(await io.next()).toBe('pong');
  });

  it('resolves with an empty head when nothing follows the reply', async () => {
    const up = await upstream((socket) => socket.write('HTTP/1.1 200 OK\r\n\r\n'));
    const tunnel = await open(endpointAt(up.port), 'example.com', 80, TIMEOUTS);
    tunnels.add(tunnel);
    expect(tunnel.head.length).toBe(0);
  });

  it('waits for a reply split across packets', async () => {
    const up = await upstream((socket) => {
      socket.write('HTTP/1.1 200 Connection estab');
      setTimeout(() => socket.write('lished\r\n\r\nX'), 20);
    });
    const tunnel = await open(endpointAt(up.port), 'example.com', 443, TIMEOUTS);
    tunnels.add(tunnel);
    expect(tunnel.head.toString()).toBe('X');
  });

  it('sends the endpoint’s credentials and brackets an IPv6 target', async () => {
    const up = await upstream((socket) => socket.write('HTTP/1.1 200 OK\r\n\r\n'));
    const tunnel = await open(endpointAt(up.port, { username: 'u1', password: 'p:w' }), '2001:db8::1', 8443, TIMEOUTS);
    tunnels.add(tunnel);
    const auth = Buffer.from('u1:p:w').toString('base64');
    expect(up.requests).toEqual([
      `CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\nProxy-Authorization: Basic ${auth}\r\n\r\n`,
    ]);
  });

  it('fails with upstream_auth_failed on 407 and closes the connection', async () => {
    let serverClosed!: Promise<unknown>;
    const up = await upstream(
      (socket) => socket.write('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n'),
      (socket) => (serverClosed = once(socket, 'close')),
    );
    const ep = endpointAt(up.port, { username: 'u', password: 'wrong' });
    const err = await tunnelError(open(ep, 'example.com', 443, TIMEOUTS));
    expect(err.code).toBe('upstream_auth_failed');
    expect(err.details).toEqual({ endpoint: ep.id, status: 407 });
    await serverClosed;
  });

  it('fails with upstream_rejected on 403, keeping the status', async () => {
    const up = await upstream((socket) => socket.write('HTTP/1.1 403 Forbidden\r\n\r\n'));
    const err = await tunnelError(open(endpointAt(up.port), 'example.com', 443, TIMEOUTS));
    expect(err.code).toBe('upstream_rejected');
    expect(err.details?.status).toBe(403);
  });

  it('fails with upstream_protocol on a reply that is not HTTP', async () => {
    const up = await upstream((socket) => socket.write('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    const err = await tunnelError(open(endpointAt(up.port), 'example.com', 443, TIMEOUTS));
    expect(err.code).toBe('upstream_protocol');
  });

  it('fails with upstream_protocol on an endless reply head', async () => {
    const up = await upstream((socket) => socket.write(`HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(20 * 1024)}`));
    const err = await tunnelError(open(endpointAt(up.port), 'example.com', 443, TIMEOUTS));
    expect(err.code).toBe('upstream_protocol');
  });

  it('fails with upstream_reset when the upstream closes right after accepting', async () => {
    const up = await upstream(undefined, (socket) => socket.destroy());
    const err = await tunnelError(open(endpointAt(up.port), 'example.com', 443, TIMEOUTS));
    expect(err.code).toBe('upstream_reset');
  });

  it('fails with upstream_reset when the upstream closes after reading the request', async () => {
    const up = await upstream((socket) => socket.end());
    const err = await tunnelError(open(endpointAt(up.port), 'example.com', 443, TIMEOUTS));
    expect(err.code).toBe('upstream_reset');
    expect(up.requests).toHaveLength(1);
  });

  it('fails with upstream_timeout when the upstream never answers', async () => {
    const up = await upstream(() => {});
    const started = Date.now();
    const err = await tunnelError(open(endpointAt(up.port), 'example.com', 443, { connectTimeoutMs: 1_000, responseTimeoutMs: 100 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(err.code).toBe('upstream_timeout');
    expect(err.details?.phase).toBe('response');
  });

  it('fails with upstream_refused when nothing listens', async () => {
    const port = await closedPort();
    const err = await tunnelError(open(endpointAt(port), 'example.com', 443, TIMEOUTS));
    expect(err.code).toBe('upstream_refused');
  });

  it('fails with client_closed when the client leaves mid-handshake, and closes the upstream connection', async () => {
    let serverClosed!: Promise<unknown>;
    let requested!: () => void;
    const gotRequest = new Promise<void>((resolve) => (requested = resolve));
    const up = await upstream(
      () => requested(),
      (socket) => (serverClosed = once(socket, 'close')),
    );
    const cancel: DialCancel = { cancelled: false, onCancel: undefined };
    const pending = tunnelError(open(endpointAt(up.port), 'example.com', 443, TIMEOUTS, cancel));
    await gotRequest;
    cancelDial(cancel);
    expect((await pending).code).toBe('client_closed');
    await serverClosed;
  });
});
