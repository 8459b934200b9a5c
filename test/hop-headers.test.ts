import { describe, it, expect } from 'vitest';
import { forwardRequestHeaders, forwardResponseHeaders, stripResponseHeaders } from '../src/protocol/hop-headers.js';

describe('forwardRequestHeaders', () => {
  it('keeps end-to-end headers with their order, case and duplicates', () => {
    const raw = ['Host', 'example.com', 'User-Agent', 'curl/8', 'accept', '*/*', 'Cookie', 'a=1', 'X-Custom', 'v', 'Cookie', 'b=2'];
    expect(forwardRequestHeaders(raw, undefined)).toEqual(raw);
  });

  it('strips every hop-by-hop header and Proxy-Authorization, in any case', () => {
    const raw = [
      'Host',
      'example.com',
      'Connection',
      'keep-alive',
      'Keep-Alive',
      'timeout=5',
      'Proxy-Connection',
      'keep-alive',
      'Proxy-Authorization',
      'Basic c2VjcmV0',
      'PROXY-AUTHENTICATE',
      'Basic',
      'TE',
      'trailers',
      'Trailer',
      'Expires',
      'Transfer-Encoding',
      'chunked',
      'Upgrade',
      'websocket',
      'Expect',
      '100-continue',
      'Accept',
      'text/html',
    ];
    expect(forwardRequestHeaders(raw, 'keep-alive')).toEqual(['Host', 'example.com', 'Accept', 'text/html']);
  });

  it('strips headers the Connection header names, trimming and ignoring case', () => {
    const raw = ['Host', 'h', 'X-Hop', '1', 'X-Other-Hop', '2', 'X-Keep', '3', 'Connection', 'X-Hop, x-other-hop'];
    expect(forwardRequestHeaders(raw, ' X-Hop ,, x-OTHER-hop ')).toEqual(['Host', 'h', 'X-Keep', '3']);
  });

  it('keeps a header only when the Connection value does not name it exactly', () => {
    const raw = ['X-Hop-Extra', '1', 'X-Ho', '2'];
    expect(forwardRequestHeaders(raw, 'x-hop')).toEqual(raw);
  });

  it('handles an empty Connection value and an empty list', () => {
    expect(forwardRequestHeaders(['A', '1'], '')).toEqual(['A', '1']);
    expect(forwardRequestHeaders([], 'close')).toEqual([]);
  });

  it('returns a new array and leaves the input alone', () => {
    const raw = ['A', '1', 'Connection', 'close'];
    const out = forwardRequestHeaders(raw, 'close');
    expect(out).not.toBe(raw);
    expect(raw).toEqual(['A', '1', 'Connection', 'close']);
  });
});

describe('stripResponseHeaders', () => {
  it('removes hop-by-hop headers in place and keeps the rest', () => {
    const headers: Record<string, string | string[] | undefined> = {
      'content-type': 'text/plain',
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'proxy-authenticate': 'Basic',
      trailer: 'x',
      upgrade: 'h2c',
      'set-cookie': ['a=1', 'b=2'],
    };
    const out = stripResponseHeaders(headers);
    expect(out).toBe(headers);
    expect(out).toEqual({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
  });

  it('removes headers the Connection header names', () => {
    const out = stripResponseHeaders({ connection: 'X-Private, close', 'x-private': 's', 'x-public': 'p' });
    expect(out).toEqual({ 'x-public': 'p' });
  });

  it('reads a Connection header given as an array', () => {
    const out = stripResponseHeaders({ connection: ['x-a', 'X-B'], 'x-a': '1', 'x-b': '2', 'x-c': '3' });
    expect(out).toEqual({ 'x-c': '3' });
  });

  it('leaves headers alone when there is nothing to strip', () => {
    expect(stripResponseHeaders({ 'content-length': '2', etag: '"x"' })).toEqual({ 'content-length': '2', etag: '"x"' });
  });
});

describe('forwardResponseHeaders', () => {
  const raw = (...kv: string[]): Buffer[] => kv.map((s) => Buffer.from(s, 'latin1'));

  it('keeps end-to-end headers with case, order and duplicates, minus hop-by-hop ones', () => {
    const out = forwardResponseHeaders(
      raw(
        'Content-Length',
        '3',
        'Connection',
        'keep-alive',
        'Keep-Alive',
        'timeout=5',
        'Set-Cookie',
        'a=1',
        'Transfer-Encoding',
        'chunked',
        'Set-Cookie',
        'b=2',
      ),
    );
    expect(out).toEqual(['Content-Length', '3', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  });

  it('drops the fields a Connection header names, across several Connection lines', () => {
    const out = forwardResponseHeaders(raw('Connection', 'X-A', 'X-A', '1', 'connection', 'x-b, close', 'X-B', '2', 'X-C', '3'));
    expect(out).toEqual(['X-C', '3']);
  });

  it('passes latin-1 bytes through unchanged', () => {
    expect(forwardResponseHeaders([Buffer.from('X-L'), Buffer.from([0xe9, 0x41])])).toEqual(['X-L', '\u00e9A']);
  });
});
