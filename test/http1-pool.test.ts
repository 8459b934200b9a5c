/**
 * swivel's own keep-alive pool for plain-HTTP forwarding (upstream/h1-sockets.ts, h1-exchange.ts)
 * against raw loopback upstreams that send exactly the bytes each case needs: a kept-alive socket
 * reused across requests, none reused after a close-delimited or `Connection: close` answer or
 * after bytes past an answer's end, a stale idle socket retried on a new one without failing the
 * attempt, bodies that end exactly, idle connections closed by the keep-alive sweep (manual
 * clock), on retire and on close(), request bodies sent on (Content-Length as is, chunked again).
 */
import http from 'node:http';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { rawExchange, rawHeader } from './helpers/raw-http.js';
import { front, rawUpstream, runCleanups, waitFor } from './helpers/forward-harness.js';

afterEach(runCleanups);

const GET = (path = '/x', method = 'GET'): string =>
  `${method} http://127.0.0.1:9${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;

const OK = (body: string, extra = ''): string => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
const bodyOf = (text: string): string => text.slice(text.indexOf('\r\n\r\n') + 4);

describe('keep-alive reuse', () => {
  it('carries consecutive requests to one endpoint on one upstream socket', async () => {
    const up = await rawUpstream((s, _h, _i, nth) => s.write(OK(`answer${nth}`)));
    const f = await front(up.port);
    for (let i = 0; i < 3; i++) {
      const a = await rawExchange(f.port, GET(), 1000);
      expect(bodyOf(a.text)).toBe(`answer${i}`);
    }
    expect(up.sockets).toHaveLength(1);
    expect(up.heads.map((h) => h.socket)).toEqual([0, 0, 0]);
    expect(f.sockets.stats()).toMatchObject({ opened: 1, reused: 2, idle: 1 });
  });

  it('keeps a socket reading after a large answer written from owned buffers, and reuses it', async () => {
    const size = 3 * 1024 * 1024 + 17;
    const up = await rawUpstream((s, head) => {
      if (head.includes('/big')) {
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
        s.write(Buffer.alloc(size, 'y'));
      } else s.write(OK('small'));
    });
    const f = await front(up.port);
    const big = await rawExchange(f.port, GET('/big'), 5000);
    expect(bodyOf(big.text).length).toBe(size);
    expect(/^y+$/.test(bodyOf(big.text))).toBe(true);
    const small = await rawExchange(f.port, GET(), 1000);
    expect(bodyOf(small.text)).toBe('small');
    expect(up.sockets).toHaveLength(1);
  });

  it('does not reuse a socket after a close-delimited answer', async () => {
    const up = await rawUpstream((s) => s.end('HTTP/1.1 200 OK\r\n\r\nuntil-close'));
    const f = await front(up.port);
    expect(bodyOf((await rawExchange(f.port, GET(), 1000)).text)).toContain('until-close');
    expect(bodyOf((await rawExchange(f.port, GET(), 1000)).text)).toContain('until-close');
    expect(up.sockets).toHaveLength(2);
    expect(f.outcomes).toEqual(['ok', 'ok']);
  });

  it('does not reuse a socket whose answer said Connection: close, and closes it', async () => {
    const up = await rawUpstream((s) => s.write(OK('bye', 'Connection: close\r\n')));
    const f = await front(up.port);
    const a = await rawExchange(f.port, GET(), 1000);
    expect(bodyOf(a.text)).toBe('bye');
    expect(rawHeader(a, 'connection')).not.toBe('close-upstream');
    await waitFor(() => up.sockets[0]!.destroyed || up.sockets[0]!.readableEnded);
    await rawExchange(f.port, GET(), 1000);
    expect(up.sockets).toHaveLength(2);
    expect(f.sockets.stats().reused).toBe(0);
  });

  it('does not reuse a socket for an HTTP/1.0 answer without keep-alive', async () => {
    const up = await rawUpstream((s) => s.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const f = await front(up.port);
    await rawExchange(f.port, GET(), 1000);
    await rawExchange(f.port, GET(), 1000);
    expect(up.sockets).toHaveLength(2);
  });

  it('sends a request that cannot be replayed on a new socket, never an idle one', async () => {
    const up = await rawUpstream((s) => s.write(OK('fine')));
    const f = await front(up.port);
    await rawExchange(f.port, GET(), 1000);
    const post = await rawExchange(f.port, GET('/p', 'POST'), 1000);
    expect(bodyOf(post.text)).toBe('fine');
    expect(up.heads.map((h) => h.socket)).toEqual([0, 1]);
  });
});

describe('a stale idle socket', () => {
  it('closed by the upstream as the next request arrives: sent again on a new socket, the attempt does not fail', async () => {
    const up = await rawUpstream((s, _h, index, nth) => {
      // The first socket answers once and then resets on its next request, as a keep-alive race would.
      if (index === 0 && nth === 1) s.resetAndDestroy();
      else s.write(OK(`from${index}`));
    });
    const f = await front(up.port);
    expect(bodyOf((await rawExchange(f.port, GET(), 1000)).text)).toBe('from0');
    const a = await rawExchange(f.port, GET(), 1000);
    expect(a.status).toBe(200);
    expect(bodyOf(a.text)).toBe('from1');
    expect(f.outcomes).toEqual(['ok', 'ok']);
    expect(up.heads.map((h) => h.socket)).toEqual([0, 0, 1]);
  });

  it('that the upstream closed while idle leaves the pool at once', async () => {
    const up = await rawUpstream((s) => s.write(OK('x')));
    const f = await front(up.port);
    await rawExchange(f.port, GET(), 1000);
    await waitFor(() => f.sockets.stats().idle === 1);
    up.sockets[0]!.end();
    await waitFor(() => f.sockets.stats().idle === 0 && f.sockets.stats().open === 0);
  });

  it('a new socket reset before answering is the endpoint failing (upstream_reset), not retried', async () => {
    const up = await rawUpstream((s) => s.resetAndDestroy());
    const f = await front(up.port);
    const a = await rawExchange(f.port, GET(), 1000);
    expect(rawHeader(a, 'x-code')).toBe('upstream_reset');
    expect(up.sockets).toHaveLength(1);
  });
});

describe('bodies end exactly', () => {
  it('a Content-Length body followed by stray bytes: the client gets the body only, the socket is not reused', async () => {
    const up = await rawUpstream((s) => s.write(`${OK('exact')}STRAY-BYTES`));
    const f = await front(up.port);
    const a = await rawExchange(f.port, GET(), 1000);
    expect(bodyOf(a.text)).toBe('exact');
    await rawExchange(f.port, GET(), 1000);
    expect(up.sockets).toHaveLength(2);
  });

  it('a Content-Length body split over reads, with stray bytes in its last read', async () => {
    const up = await rawUpstream((s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234');
      setTimeout(() => s.write('56789HTTP/1.1 200 OK\r\n'), 20);
    });
    const f = await front(up.port);
    const a = await rawExchange(f.port, GET(), 1000);
    expect(bodyOf(a.text)).toBe('0123456789');
    await waitFor(() => f.outcomes.length === 1);
    expect(f.outcomes).toEqual(['ok']);
    await rawExchange(f.port, GET(), 1000);
    expect(up.sockets).toHaveLength(2);
  });

  it('a chunked body is decoded to its last byte; a second answer behind it is not passed on', async () => {
    const up = await rawUpstream((s) =>
      s.write(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil',
      ),
    );
    const f = await front(up.port);
    const res = await get(f.port);
    expect(res.body).toBe('hello');
    await get(f.port);
    expect(up.sockets).toHaveLength(2);
  });

  it('a chunked body over several reads ends where its last chunk says, and the socket is reused', async () => {
    const up = await rawUpstream((s, _h, _i, nth) => {
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
      setTimeout(() => s.write(`2\r\n${nth}${nth}\r\n0\r\nX-Trailer: t\r\n\r\n`), 10);
    });
    const f = await front(up.port);
    expect((await get(f.port)).body).toBe('abc00');
    expect((await get(f.port)).body).toBe('abc11');
    expect(up.sockets).toHaveLength(1);
  });

  it('a bad chunk size after the head was delivered cuts the client', async () => {
    const up = await rawUpstream((s) => {
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
      setTimeout(() => s.write('zz\r\nnope\r\n'), 20);
    });
    const f = await front(up.port);
    const a = await rawExchange(f.port, GET(), 1000);
    expect(a.closed).toBe(true);
    expect(a.text).not.toContain('nope');
    await waitFor(() => f.outcomes.length === 1);
    expect(f.outcomes).toEqual(['cut']);
  });

  it('a 101 upgrade nobody asked for is refused', async () => {
    const up = await rawUpstream((s) => s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nraw'));
    const f = await front(up.port);
    const a = await rawExchange(f.port, GET(), 1000);
    expect(rawHeader(a, 'x-code')).toBe('upstream_reset');
  });
});

describe('idle connections', () => {
  it('are closed by the sweep once idle for the keep-alive time (manual clock)', async () => {
    const clock = new ManualClock();
    const up = await rawUpstream((s) => s.write(OK('x')));
    const f = await front(up.port, { clock });
    await rawExchange(f.port, GET(), 1000);
    await waitFor(() => f.sockets.stats().idle === 1);
    clock.advance(2000);
    expect(f.sockets.stats().idle).toBe(1);
    clock.advance(2000);
    expect(f.sockets.stats().idle).toBe(0);
    await once(up.sockets[0]!, 'close');
  });

  it("honour the upstream's shorter Keep-Alive timeout hint", async () => {
    const clock = new ManualClock();
    const up = await rawUpstream((s) => s.write(OK('x', 'Keep-Alive: timeout=2\r\n')));
    const f = await front(up.port, { clock });
    await rawExchange(f.port, GET(), 1000);
    await waitFor(() => f.sockets.stats().idle === 1);
    clock.advance(600);
    expect(f.sockets.stats().idle).toBe(0);
  });

  it('of a retired endpoint are closed at the next sweep, and all of them on close()', async () => {
    const clock = new ManualClock();
    const up = await rawUpstream((s) => s.write(OK('x')));
    const f = await front(up.port, { clock });
    await rawExchange(f.port, GET(), 1000);
    await waitFor(() => f.sockets.stats().idle === 1);
    f.endpoint.retired = true;
    clock.advance(500);
    expect(f.sockets.stats().idle).toBe(0);
    f.endpoint.retired = false;
    await rawExchange(f.port, GET(), 1000);
    await waitFor(() => f.sockets.stats().idle === 1);
    f.sockets.close();
    expect(f.sockets.stats().idle).toBe(0);
    await waitFor(() => up.sockets.every((s) => s.destroyed || s.readableEnded));
  });
});

describe('request bodies', () => {
  it('a Content-Length body goes as is; a chunked one is chunked again for the upstream', async () => {
    const up = await rawUpstream((s) => s.write(OK('got')));
    const f = await front(up.port);
    await rawExchange(
      f.port,
      'POST http://127.0.0.1:9/a HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nabcde',
      1000,
    );
    await rawExchange(
      f.port,
      'POST http://127.0.0.1:9/b HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nxyz\r\n0\r\n\r\n',
      1000,
    );
    await waitFor(() => up.received.length === 2 && up.received[1]!.endsWith('0\r\n\r\n'));
    expect(up.received[0]).toMatch(/\r\ncontent-length: 5\r\n/i);
    expect(up.received[0]!.endsWith('\r\n\r\nabcde')).toBe(true);
    expect(up.received[1]).toMatch(/\r\ntransfer-encoding: chunked\r\n/i);
    expect(up.received[1]!.endsWith('\r\n\r\n3\r\nxyz\r\n0\r\n\r\n')).toBe(true);
  });
});

/** A GET through the front with node's client (it decodes chunked framing), body collected. */
function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: 'http://127.0.0.1:9/x', agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
