/**
 * The HTTP listener's accept front (src/server/connect-front.ts), through real sockets: a new
 * connection that starts with `CONNECT ` is parsed there and tunnelled without node:http; any other
 * first request goes to node:http unchanged. Covers early data after the head, heads split into
 * many writes, hostile heads answered as node:http's path answers them, plain and keep-alive
 * traffic, a CONNECT after a plain request on one connection, the 407 challenge, the head timeout,
 * the drain and the outcome report.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rawExchange, rawExchangeInParts as exchangeInParts, rawHeader, type RawAnswer } from './helpers/raw-http.js';
import { basicAuth } from './helpers/http-client.js';
import { startSwivel, stopAll, type Harness } from './helpers/swivel.js';

afterEach(stopAll);

const target = (h: Harness): string => `127.0.0.1:${h.sim.target.port}`;
const connectHead = (t: string, extra = ''): string => `CONNECT ${t} HTTP/1.1\r\nHost: ${t}\r\n${extra}\r\n`;
const innerGet = (t: string): string => `GET /ip HTTP/1.1\r\nHost: ${t}\r\nConnection: close\r\n\r\n`;
const upstreamConnects = (h: Harness): number => h.sim.upstreams.reduce((n, u) => n + u.connects, 0);

/** The inner answer of a tunnel: what follows `200 Connection Established`. */
function innerOf(answer: RawAnswer): { status: number; ip: string | undefined } {
  const established = 'HTTP/1.1 200 Connection Established\r\n\r\n';
  expect(answer.text.startsWith(established)).toBe(true);
  const inner = answer.text.slice(established.length);
  const m = /^HTTP\/1\.1 (\d{3})/.exec(inner);
  const body = inner.slice(inner.indexOf('\r\n\r\n') + 4);
  let ip: string | undefined;
  try {
    ip = (JSON.parse(body) as { ip?: string }).ip;
  } catch {
    ip = undefined;
  }
  return { status: m === null ? 0 : Number(m[1]), ip };
}

describe('CONNECT on a new connection', () => {
  it('delivers bytes the client sent right behind the head (same write) into the tunnel', async () => {
    const h = await startSwivel();
    const t = target(h);
    const answer = await rawExchange(h.port, connectHead(t) + innerGet(t), 5000);
    const inner = innerOf(answer);
    expect(inner.status).toBe(200);
    expect(h.sim.upstreams.map((u) => u.localAddress)).toContain(inner.ip);
  });

  it('takes a head split into one-byte writes, and early data in later writes', async () => {
    const h = await startSwivel();
    const t = target(h);
    const head = connectHead(t);
    const parts: string[] = [...head];
    const get = innerGet(t);
    parts.push(get.slice(0, 5), get.slice(5));
    const answer = await exchangeInParts(h.port, parts);
    expect(innerOf(answer).status).toBe(200);
  });

  it('takes more than 32 header fields (llhttp flushes them in parts) and finds Proxy-Authorization among them', async () => {
    const h = await startSwivel({ flags: { auth: 'alice:secret' } });
    const t = target(h);
    const many = Array.from({ length: 40 }, (_, i) => `X-F${i}: v\r\n`).join('');
    const head = connectHead(t, `${many}Proxy-Authorization: ${basicAuth('alice', 'secret')}\r\n`);
    const whole = await rawExchange(h.port, head + innerGet(t), 5000);
    expect(innerOf(whole).status).toBe(200);
    // The same head in 7-byte pieces: flushed fields come from several reads.
    const pieces: string[] = [];
    for (let i = 0; i < head.length; i += 7) pieces.push(head.slice(i, i + 7));
    pieces.push(innerGet(t));
    expect(innerOf(await exchangeInParts(h.port, pieces, 1)).status).toBe(200);
  });

  it('challenges a CONNECT without credentials with 407, and tunnels with them', async () => {
    const h = await startSwivel({ flags: { auth: 'alice:secret' } });
    const t = target(h);
    const refused = await rawExchange(h.port, connectHead(t));
    expect(refused.status).toBe(407);
    expect(rawHeader(refused, 'proxy-authenticate')).toBe('Basic realm="swivel"');
    expect(rawHeader(refused, 'x-swivel-error')).toBe('proxy_auth_required');
    const wrong = await rawExchange(h.port, connectHead(t, `Proxy-Authorization: ${basicAuth('alice', 'nope')}\r\n`));
    expect(wrong.status).toBe(407);
    const ok = await rawExchange(h.port, connectHead(t, `Proxy-Authorization: ${basicAuth('alice', 'secret')}\r\n`) + innerGet(t), 5000);
    expect(innerOf(ok).status).toBe(200);
    expect(upstreamConnects(h)).toBe(1);
  });

  it('reports the tunnel to the outcome hook with its target, attempts and byte counts', async () => {
    const h = await startSwivel({ flags: { 'access-log': true } });
    const t = target(h);
    const answer = await rawExchange(h.port, connectHead(t) + innerGet(t), 5000);
    expect(innerOf(answer).status).toBe(200);
    await expect.poll(() => h.logs.find('access').length, { timeout: 2_000, interval: 10 }).toBe(1);
    const [o] = h.logs.find('access');
    expect(o).toMatchObject({ kind: 'tunnel', code: 'ok', status: 200, attempts: 1, method: 'CONNECT', target: t });
    expect(o!.bytesIn).toBe(innerGet(t).length);
    expect(o!.bytesOut as number).toBeGreaterThan(20);
    expect(o!.endpoint).toBeDefined();
  });
});

/** A kept-alive plain request first: what follows on the connection is node:http's to parse. */
async function afterPlainRequest(h: Harness, next: string): Promise<RawAnswer> {
  const first = `GET ${h.ipUrl} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const answer = await exchangeInParts(h.port, [first, next], 150);
  // Strip the first answer (its body is Content-Length framed JSON).
  const end = answer.text.indexOf('\r\n\r\n');
  const length = Number(/content-length: *(\d+)/i.exec(answer.text.slice(0, end))![1]);
  const rest = answer.text.slice(end + 4 + length);
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(rest);
  expect(answer.status).toBe(200);
  return { ...answer, text: rest, status: m === null ? 0 : Number(m[1]) };
}

describe('hostile CONNECT heads get the answers node:http gives them', () => {
  const cases: Array<[string, (h: Harness) => string, number, string | undefined]> = [
    ['a 20 KiB header', (h) => connectHead(target(h), `X-Big: ${'a'.repeat(20 * 1024)}\r\n`), 431, 'request_header_too_large'],
    ['a request-target over 8 KiB', () => connectHead(`${'a'.repeat(9 * 1024)}.example:443`), 414, 'uri_too_long'],
    [
      'more header fields than --max-headers',
      (h) => connectHead(target(h), 'X-A: 1\r\nX-B: 2\r\nX-C: 3\r\n'),
      431,
      'request_header_too_large',
    ],
    ['a malformed header name', (h) => connectHead(target(h), 'X Bad: 1\r\n'), 400, 'bad_request'],
    ['an unparsable target', () => connectHead('no-port-here'), 400, 'bad_request'],
    ['a bad HTTP version', (h) => `CONNECT ${target(h)} HTTP/9.9\r\n\r\n`, 400, 'bad_request'],
  ];

  it.each(cases)('%s, as the first request and after a plain one', async (_name, head, status, code) => {
    const h = await startSwivel({ flags: { 'max-headers': 2 } });
    const front = await rawExchange(h.port, head(h));
    expect(front.status).toBe(status);
    if (code !== undefined) expect(rawHeader(front, 'x-swivel-error')).toBe(code);
    expect(front.closed).toBe(true);
    // node:http's own CONNECT path (a CONNECT after a plain request) answers the same.
    const viaNode = await afterPlainRequest(h, head(h));
    expect(viaNode.status).toBe(status);
    if (code !== undefined) expect(rawHeader(viaNode, 'x-swivel-error')).toBe(code);
    expect(upstreamConnects(h)).toBe(0);
  });

  it('answers 408 to a CONNECT head that does not complete within --header-timeout', async () => {
    const h = await startSwivel({ flags: { 'header-timeout': '300ms' } });
    const answer = await rawExchange(h.port, `CONNECT ${target(h)} HTTP/1.1\r\nHost: x\r\n`, 3000);
    expect(answer.status).toBe(408);
    expect(rawHeader(answer, 'x-swivel-error')).toBe('header_timeout');
    expect(answer.closed).toBe(true);
    expect(answer.elapsedMs).toBeLessThan(2500);
  });

  it('closes a connection whose client leaves (FIN) in the middle of a CONNECT head', async () => {
    const h = await startSwivel();
    const socket = net.connect(h.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.end('CONNECT 127.0.0.1:1 HT');
    // The listener allows half-open connections (for tunnels): only the front closing it ends this.
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const open = await new Promise<number>((resolve) => h.app.http.server.getConnections((_err, n) => resolve(n)));
    expect(open).toBe(0);
  });
});

describe('what is not CONNECT stays with node:http', () => {
  it('serves a plain GET as the first request, kept alive, then a CONNECT on the same connection', async () => {
    const h = await startSwivel();
    const t = target(h);
    const answer = await afterPlainRequest(h, connectHead(t) + innerGet(t));
    expect(innerOf(answer).status).toBe(200);
    expect(upstreamConnects(h)).toBe(1);
  });

  it('hands a first request to node:http as soon as its bytes cannot be CONNECT, however they are split', async () => {
    const h = await startSwivel();
    const get = await exchangeInParts(h.port, ['G', 'E', `T ${h.ipUrl} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
    expect(get.status).toBe(200);
    // `CONNEC` could still be CONNECT; `CONNECTX` is no method: node:http refuses it as malformed.
    const odd = await exchangeInParts(h.port, ['CONNEC', `TX ${target(h)} HTTP/1.1\r\nHost: x\r\n\r\n`], 20);
    expect(odd.status).toBe(400);
    expect(rawHeader(odd, 'x-swivel-error')).toBe('bad_request');
    expect(upstreamConnects(h)).toBe(0);
  });
});

describe('drain', () => {
  it('lets an open tunnel carry traffic during a drain, then cuts it at the drain timeout', async () => {
    const h = await startSwivel();
    const t = target(h);
    const socket = net.connect(h.port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(connectHead(t));
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const stopping = h.app.stop(400);
    // Still relaying: the inner request goes through after the drain began.
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.write(`GET /ip HTTP/1.1\r\nHost: ${t}\r\n\r\n`);
    await expect.poll(() => Buffer.concat(chunks).toString('latin1'), { timeout: 2_000, interval: 10 }).toMatch(/^HTTP\/1\.1 200/);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await stopping;
    await closed;
    expect(socket.destroyed).toBe(true);
  });

  it('refuses new connections once the drain began', async () => {
    const h = await startSwivel();
    const port = h.port;
    await h.app.stop(0);
    const answer = await rawExchange(port, connectHead(target(h)), 1000);
    expect(answer.status).toBe(0);
    expect(answer.closed).toBe(true);
  });
});
