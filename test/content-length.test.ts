/**
 * Identical duplicated Content-Length values are processed as one (RFC 9112 §6.3); anything else
 * stays refused. The fold itself, then the whole path through swivel on real sockets.
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { foldContentLength } from '../src/server/content-length.js';
import { rawExchange, rawHeader } from './helpers/raw-http.js';
import { startSwivel, stopAll } from './helpers/swivel.js';

afterEach(stopAll);

const fold = (head: string, body = ''): string | undefined => foldContentLength(Buffer.from(head + body, 'latin1'))?.toString('latin1');

describe('foldContentLength', () => {
  it('folds a list and repeated lines with one value to a single field, keeping the body', () => {
    expect(fold('POST http://t/ HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 5\r\nX-A: 1\r\n\r\n', 'hello')).toBe(
      'POST http://t/ HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello',
    );
    expect(fold('PUT / HTTP/1.1\r\ncontent-length: 3\r\nHost: t\r\nContent-Length:3\r\n\r\n', 'abc')).toBe(
      'PUT / HTTP/1.1\r\nContent-Length: 3\r\nHost: t\r\n\r\nabc',
    );
    expect(fold('POST / HTTP/1.1\r\nContent-Length: 2,2 , 2\r\n\r\n')).toBe('POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n');
  });

  it.each([
    ['differing values', 'POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n'],
    ['differing lines', 'POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n'],
    ['an empty member', 'POST / HTTP/1.1\r\nContent-Length: 5,\r\n\r\n'],
    ['a sign', 'POST / HTTP/1.1\r\nContent-Length: +5, 5\r\n\r\n'],
    ['one value only (refused for another reason)', 'POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n'],
    ['Transfer-Encoding as well', 'POST / HTTP/1.1\r\nContent-Length: 5, 5\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['CONNECT', 'CONNECT a:443 HTTP/1.1\r\nContent-Length: 0, 0\r\n\r\n'],
    ['an incomplete head', 'POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n'],
    ['no request line at the start', 'lo\r\nPOST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n'],
    ['a line without a colon', 'POST / HTTP/1.1\r\nContent-Length: 5, 5\r\nbogus\r\n\r\n'],
  ])('refuses %s', (_why, head) => {
    expect(fold(head)).toBeUndefined();
  });
});

describe('Content-Length: 5, 5 through swivel', () => {
  it.each([
    ['a list', 'Content-Length: 5, 5\r\n'],
    ['two identical lines', 'Content-Length: 5\r\nContent-Length: 5\r\n'],
  ])('forwards a POST with %s as Content-Length 5, then closes', async (_why, fields) => {
    const h = await startSwivel();
    const answer = await rawExchange(h.port, `POST ${h.echoUrl} HTTP/1.1\r\nHost: x\r\n${fields}\r\nhello`);
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('hello');
    expect(rawHeader(answer, 'connection')).toBe('close');
    expect(answer.closed).toBe(true);
    // The target saw one Content-Length of 5.
    expect(answer.text.toLowerCase()).toMatch(/"content-length":\s*"5"/);
  });

  it('still refuses differing values with 400 and contacts no endpoint', async () => {
    const h = await startSwivel();
    const answer = await rawExchange(h.port, `POST ${h.echoUrl} HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello`);
    expect(answer.status).toBe(400);
    expect(h.sim.upstreams.reduce((n, u) => n + u.requests, 0)).toBe(0);
  });

  it('refuses a list on the second request of a connection (nothing stitched onto a used stream)', async () => {
    const h = await startSwivel();
    const socket = net.connect({ host: '127.0.0.1', port: h.port });
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    const text = (): string => Buffer.concat(received).toString('latin1');
    const statuses = (): string[] => text().match(/^HTTP\/1\.1 \d+/gm) ?? [];
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write(`GET ${h.ipUrl} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await vi.waitFor(() => expect(statuses()).toHaveLength(1), { timeout: 3_000, interval: 5 });
    socket.write(`POST ${h.echoUrl} HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello`);
    await closed;
    // Refused (node:http closes a kept-alive connection on a bad head), never forwarded.
    expect(
      statuses()
        .slice(1)
        .every((s) => s !== 'HTTP/1.1 200'),
    ).toBe(true);
    expect(h.sim.upstreams.reduce((n, u) => n + u.requests, 0)).toBe(1);
  });
});
