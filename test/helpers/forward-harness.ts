/**
 * The plain-HTTP forwarder (src/upstream/http-forward.ts) between two real sockets: a raw upstream
 * that answers whatever bytes a test writes (hostile framing included), and a node:http front that
 * does the listener's part, reduced: forward one request, then deliver the answer or answer 502
 * with the code the attempt rejected with. Used by the forwarder and the h1 pool tests.
 */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import type { ManualClock } from '../../src/clock.js';
import { Endpoint } from '../../src/pool/endpoint.js';
import { createHttpProxyForwarder, type UpstreamAnswer } from '../../src/upstream/http-forward.js';
import { UpstreamSockets } from '../../src/upstream/h1-sockets.js';
import type { DialCancel } from '../../src/upstream/types.js';

/** What each harness started; the test file runs them in its afterEach (`runCleanups`). */
const cleanups: Array<() => Promise<void> | void> = [];

export async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

export interface Upstream {
  port: number;
  /** Sockets accepted so far. */
  sockets: net.Socket[];
  /** Request heads received, latin1, with the index of the socket they came on. */
  heads: Array<{ head: string; socket: number }>;
  /** Everything received per socket, latin1. */
  received: string[];
}

/** A raw upstream: `answer` gets the socket, each request head, its socket's index and the head's number on it. */
export async function rawUpstream(answer: (socket: net.Socket, head: string, index: number, nth: number) => void): Promise<Upstream> {
  const up: Upstream = { port: 0, sockets: [], heads: [], received: [] };
  const server = net.createServer((socket) => {
    const index = up.sockets.push(socket) - 1;
    up.received[index] = '';
    socket.on('error', () => {});
    let buf = '';
    let nth = 0;
    socket.on('data', (d: Buffer) => {
      up.received[index] += d.toString('latin1');
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) !== -1) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        up.heads.push({ head, socket: index });
        answer(socket, head, index, nth++);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  up.port = (server.address() as net.AddressInfo).port;
  cleanups.push(async () => {
    for (const s of up.sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return up;
}

export interface Front {
  port: number;
  sockets: UpstreamSockets;
  endpoint: Endpoint;
  /** How each request ended: 'ok' or 'cut' once delivered, or the code the attempt rejected with. */
  outcomes: string[];
  answers: UpstreamAnswer[];
  ctls: DialCancel[];
}

export interface FrontOptions {
  clock?: ManualClock;
  /** Upstream Basic credentials of the endpoint. */
  username?: string;
  password?: string;
  responseTimeoutMs?: number;
  idleTimeoutMs?: number;
}

export async function front(upstreamPort: number, opts: FrontOptions = {}): Promise<Front> {
  const sockets = new UpstreamSockets({ connectTimeoutMs: 2000, keepAliveMs: 4000, clock: opts.clock });
  const forward = createHttpProxyForwarder({
    sockets,
    responseTimeoutMs: opts.responseTimeoutMs ?? 2000,
    idleTimeoutMs: opts.idleTimeoutMs ?? 2000,
  });
  const endpoint = new Endpoint(
    { host: '127.0.0.1', port: upstreamPort, username: opts.username, password: opts.password },
    'k',
    0,
    Number.MAX_SAFE_INTEGER,
  );
  const f: Front = { port: 0, sockets, endpoint, outcomes: [], answers: [], ctls: [] };
  const server = http.createServer((req, res) => {
    const ctl: DialCancel = { cancelled: false, onCancel: undefined };
    f.ctls.push(ctl);
    forward(req, req.url ?? '', endpoint, ctl).then(
      (answer) => {
        f.answers.push(answer);
        answer.deliver(res, false, { delivered: (ok) => void f.outcomes.push(ok ? 'ok' : 'cut') });
      },
      (err: { code?: string }) => {
        f.outcomes.push(err.code ?? 'unknown');
        res.writeHead(502, { 'x-code': err.code ?? 'unknown', 'content-length': 0 }).end();
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  f.port = (server.address() as net.AddressInfo).port;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    sockets.close();
  });
  return f;
}

/** Poll a condition another socket will make true (bounded; the forwarder's I/O is real). */
export async function waitFor(check: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
