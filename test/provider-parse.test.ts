import { describe, it, expect } from 'vitest';
import { isSwivelError } from '../src/errors.js';
import {
  emptyParseResult,
  parseEndpointEntry,
  parseEndpointObject,
  parseExtractionBody,
  parseJsonList,
  parseTextBody,
} from '../src/provider/parse.js';
import type { ParseResult } from '../src/provider/types.js';

function envelope(list: unknown, code = 200): string {
  return JSON.stringify({ code, msg: 'ok', data: { list } });
}

function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isSwivelError(err) ? err.code : `not a SwivelError: ${String(err)}`;
  }
  return undefined;
}

describe('parseEndpointEntry', () => {
  it.each([
    ['150.109.114.72:1140', { host: '150.109.114.72', port: 1140 }],
    ['proxy.example.com:8080', { host: 'proxy.example.com', port: 8080 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
    ['h:65535', { host: 'h', port: 65535 }],
    ['  1.2.3.4:80 \t\r', { host: '1.2.3.4', port: 80 }],
    ['1.2.3.4:80:user:pass', { host: '1.2.3.4', port: 80, username: 'user', password: 'pass' }],
    ['1.2.3.4:80:user:p@ss', { host: '1.2.3.4', port: 80, username: 'user', password: 'p@ss' }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['[2001:db8::1]:3128:u:p', { host: '2001:db8::1', port: 3128, username: 'u', password: 'p' }],
    ['[::ffff:1.2.3.4]:80', { host: '::ffff:1.2.3.4', port: 80 }],
    ['http://u:p@1.2.3.4:80', { host: '1.2.3.4', port: 80, username: 'u', password: 'p' }],
    ['HTTP://h.example:3128/', { host: 'h.example', port: 3128 }],
    ['https://h:443', { host: 'h', port: 443 }],
    ['socks5://h:1080', { host: 'h', port: 1080 }],
    ['socks5h://u@h:1080', { host: 'h', port: 1080, username: 'u' }],
    ['socks5://[::1]:1080', { host: '::1', port: 1080 }],
    ['http://us%40er:p%3Aw%20d@h:1', { host: 'h', port: 1, username: 'us@er', password: 'p:w d' }],
    ['http://u:p@ss@h:1', { host: 'h', port: 1, username: 'u', password: 'p@ss' }],
    ['u:p@1.2.3.4:80', { host: '1.2.3.4', port: 80, username: 'u', password: 'p' }],
  ])('accepts %j', (entry, expected) => {
    expect(parseEndpointEntry(entry)).toStrictEqual(expected);
  });

  it.each([
    '',
    '   ',
    '1.2.3.4',
    ':80',
    '1.2.3.4:',
    '1.2.3.4:0',
    '1.2.3.4:65536',
    '1.2.3.4:99999999999999999999',
    '1.2.3.4:-1',
    '1.2.3.4:8o',
    '1.2.3.4:80:user',
    '1.2.3.4:80:user:',
    '1.2.3.4:80::pass',
    '1.2.3.4:80:u:p:extra',
    '1.2.3.4 :80',
    '1.2.3.4:80 :u:p',
    'a b:80',
    '256.1.1.1:80',
    '1.2.3:80',
    '1.2.3.4.5:80',
    '12345:80',
    'ho/st:80',
    'ho%st:80',
    '::1',
    '::1:80',
    '2001:db8::1:80',
    '2001:1:2:3',
    '2001:db8:0:0:0:0:0:1',
    '[::1:80',
    '::1]:80',
    '[::1]80',
    '[::1]:',
    '[]:80',
    '[not-v6]:80',
    '[::1]:80:u',
    '[::1]:80:u:p:x',
    'ftp://h:21',
    'http://h',
    'http://h:80/path',
    'http://h:80?x=1',
    'http://:p@h:80',
    'http://u:%zz@h:80',
    'http:/h:80',
    '://h:80',
    '@h:80',
    '{"ip":"1.2.3.4"}',
    '<html>',
  ])('rejects %j', (entry) => {
    expect(parseEndpointEntry(entry)).toBeUndefined();
  });
});

describe('parseEndpointObject', () => {
  it('reads ip/host, port as number or string, and both credential spellings', () => {
    expect(parseEndpointObject({ ip: '1.2.3.4', port: 80 })).toStrictEqual({ host: '1.2.3.4', port: 80 });
    expect(parseEndpointObject({ host: 'h.example', port: ' 8080 ', user: 'u', pass: 'p' })).toStrictEqual({
      host: 'h.example',
      port: 8080,
      username: 'u',
      password: 'p',
    });
    expect(parseEndpointObject({ ip: '1.2.3.4', port: '81', username: 'u', password: 'p' })).toStrictEqual({
      host: '1.2.3.4',
      port: 81,
      username: 'u',
      password: 'p',
    });
    expect(parseEndpointObject({ ip: '2001:db8::1', port: 80 })).toStrictEqual({ host: '2001:db8::1', port: 80 });
    expect(parseEndpointObject({ ip: '[::1]', port: 80 })).toStrictEqual({ host: '::1', port: 80 });
    expect(parseEndpointObject({ ip: '1.2.3.4', port: 80, user: '', pass: null })).toStrictEqual({ host: '1.2.3.4', port: 80 });
  });

  it('returns a short reason for bad objects', () => {
    expect(parseEndpointObject({ port: 80 })).toBe('object without host');
    expect(parseEndpointObject({ ip: 5, port: 80 })).toBe('object without host');
    expect(parseEndpointObject({ ip: 'a b', port: 80 })).toBe('object with invalid host');
    expect(parseEndpointObject({ ip: '1.2.3.4' })).toBe('object without port');
    expect(parseEndpointObject({ ip: '1.2.3.4', port: 0 })).toBe('object with invalid port');
    expect(parseEndpointObject({ ip: '1.2.3.4', port: 80.5 })).toBe('object with invalid port');
    expect(parseEndpointObject({ ip: '1.2.3.4', port: '70000' })).toBe('object with invalid port');
    expect(parseEndpointObject({ ip: '1.2.3.4', port: 80, user: 7 })).toBe('object with invalid user');
    expect(parseEndpointObject({ ip: '1.2.3.4', port: 80, user: 'u', pass: 7 })).toBe('object with invalid password');
  });
});

describe('parseJsonList', () => {
  it('walks a list of lists and a flat list', () => {
    const result = emptyParseResult();
    parseJsonList([['1.1.1.1:1', '1.1.1.1:2'], ['2.2.2.2:3']], result);
    parseJsonList(['3.3.3.3:4', { ip: '4.4.4.4', port: 5 }], result);
    expect(result.endpoints.map((e) => `${e.host}:${e.port}`)).toEqual(['1.1.1.1:1', '1.1.1.1:2', '2.2.2.2:3', '3.3.3.3:4', '4.4.4.4:5']);
    expect(result.malformed).toBe(0);
    expect(result.firstMalformed).toBeUndefined();
  });

  it('counts every malformed entry and describes only the first', () => {
    const result = emptyParseResult();
    parseJsonList([['1.1.1.1:1', 'garbage', 42], [null, true, [['deep']]], { ip: '1.2.3.4', pass: 'hunter2' }, ''], result);
    expect(result.endpoints).toHaveLength(1);
    expect(result.malformed).toBe(7);
    expect(result.firstMalformed).toBe('garbage');
  });

  it('describes non-string values by kind', () => {
    for (const [value, expected] of [
      [42, 'number'],
      [null, 'null'],
      [true, 'boolean'],
      [[['x']], 'nested list'],
      [{ ip: '1.2.3.4', password: 'hunter2' }, 'object without port'],
      ['', '(empty entry)'],
    ] as const) {
      const result = emptyParseResult();
      parseJsonList([[value]], result);
      expect(result.firstMalformed).toBe(expected);
    }
  });

  it('treats a list that is not an array as one malformed value', () => {
    const result = emptyParseResult();
    parseJsonList('1.2.3.4:80', result);
    expect(result).toEqual({ endpoints: [], malformed: 1, firstMalformed: 'string' });
  });

  it('accepts an empty list', () => {
    const result = emptyParseResult();
    parseJsonList([[], []], result);
    expect(result).toEqual({ endpoints: [], malformed: 0 });
  });
});

describe('firstMalformed never holds a password', () => {
  const secret = 'S3cr3tPw';
  it.each([
    [`1.2.3.4:99999:user:${secret}`, '1.2.3.4:99999:***'],
    [`1.2.3.4:80:user:${secret}:extra`, '1.2.3.4:80:***'],
    [`http://user:${secret}@h:0`, 'http://***@h:0'],
    [`user:${secret}@h`, '***@h'],
    [`user:${secret}:1.2.3.4:80`, 'user:***'],
    [`[::1]:99999:user:${secret}`, '[::1]:99999:***'],
    [`[::1:80:user:${secret}`, '[:***'],
    [`1.2.3.4 80 user ${secret}`, '1.2.3.4 ***'],
    [`1.2.3.4:80 user ${secret}`, '1.2.3.4:80 ***'],
  ])('%j → %j', (entry, expected) => {
    const result = emptyParseResult();
    parseJsonList([entry], result);
    expect(result.malformed).toBe(1);
    expect(result.firstMalformed).toBe(expected);
    expect(result.firstMalformed).not.toContain(secret);

    const text = emptyParseResult();
    parseTextBody(`${entry}\n`, undefined, text);
    expect(text.firstMalformed).toBe(expected);
  });

  it('truncates to 64 characters', () => {
    const result = emptyParseResult();
    parseJsonList(['x'.repeat(500)], result);
    expect(result.firstMalformed).toBe('x'.repeat(64));
  });
});

describe('parseTextBody', () => {
  function text(body: string, lb?: string): ParseResult {
    const result = emptyParseResult();
    parseTextBody(body, lb, result);
    return result;
  }
  const hosts = (r: ParseResult): string[] => r.endpoints.map((e) => `${e.host}:${e.port}`);

  it('splits on LF and CRLF and skips blank lines and comments', () => {
    const r = text('1.1.1.1:1\r\n1.1.1.1:2\n\n   \r\n# comment\n  2.2.2.2:3  \r\n');
    expect(hosts(r)).toEqual(['1.1.1.1:1', '1.1.1.1:2', '2.2.2.2:3']);
    expect(r.malformed).toBe(0);
  });

  it('splits on a custom separator and still on newlines', () => {
    expect(hosts(text('a:1|b:2|c:3\nd:4|e:5', '|'))).toEqual(['a:1', 'b:2', 'c:3', 'd:4', 'e:5']);
    expect(hosts(text('a:1<br>b:2<br>\r\nc:3', '<br>'))).toEqual(['a:1', 'b:2', 'c:3']);
    expect(hosts(text('a:1,b:2,', ','))).toEqual(['a:1', 'b:2']);
    expect(hosts(text('a:1\r\nb:2', '\r\n'))).toEqual(['a:1', 'b:2']);
    expect(hosts(text('a:1 b:2 c:3', ' '))).toEqual(['a:1', 'b:2', 'c:3']);
  });

  it('ignores an all-digit lb (a numeric separator code)', () => {
    expect(hosts(text('1.1.1.1:1\r\n2.2.2.2:2', '1'))).toEqual(['1.1.1.1:1', '2.2.2.2:2']);
  });

  it('reads credentials and IPv6 per line', () => {
    const r = text('[::1]:80:u:p\nhttp://a:b@h:1\n');
    expect(r.endpoints).toStrictEqual([
      { host: '::1', port: 80, username: 'u', password: 'p' },
      { host: 'h', port: 1, username: 'a', password: 'b' },
    ]);
  });

  it('counts malformed lines', () => {
    const r = text('a:1\nnope\nb:99999\n::1\n');
    expect(hosts(r)).toEqual(['a:1']);
    expect(r.malformed).toBe(3);
    expect(r.firstMalformed).toBe('nope');
  });

  it('handles an empty body and a body without a final newline', () => {
    expect(text('')).toEqual({ endpoints: [], malformed: 0 });
    expect(hosts(text('a:1'))).toEqual(['a:1']);
  });
});

describe('parseExtractionBody', () => {
  it('reads the documented JSON answer', () => {
    const list = [Array.from({ length: 10 }, (_, i) => `150.109.114.72:${1140 + i}`)];
    const r = parseExtractionBody(envelope(list), 'application/json; charset=utf-8');
    expect(r.endpoints).toHaveLength(10);
    expect(r.endpoints[9]).toStrictEqual({ host: '150.109.114.72', port: 1149 });
    expect(r.malformed).toBe(0);
  });

  it('reads JSON whatever the content type when the body starts with {', () => {
    const r = parseExtractionBody(`\n  ${envelope(['1.1.1.1:1'])}`, 'text/plain');
    expect(r.endpoints).toHaveLength(1);
    expect(parseExtractionBody(`\ufeff${envelope(['1.1.1.1:1'])}`, undefined).endpoints).toHaveLength(1);
  });

  it('accepts code 0 and "200" as success', () => {
    expect(parseExtractionBody(envelope(['1.1.1.1:1'], 0), undefined).endpoints).toHaveLength(1);
    expect(parseExtractionBody(JSON.stringify({ code: '200', data: { list: [] } }), undefined).endpoints).toHaveLength(0);
  });

  it('reads a text answer', () => {
    const r = parseExtractionBody('1.1.1.1:1\r\n2.2.2.2:2\r\n', 'text/plain', undefined);
    expect(r.endpoints).toHaveLength(2);
    expect(parseExtractionBody('a:1;b:2', undefined, ';').endpoints).toHaveLength(2);
    expect(parseExtractionBody('[::1]:80\n', undefined).endpoints).toStrictEqual([{ host: '::1', port: 80 }]);
  });

  it('reads an error answered as JSON to a text-format request', () => {
    expect(thrownCode(() => parseExtractionBody('{"code":3,"msg":"app_key error"}', 'text/html', '|'))).toBe('provider_auth');
    expect(thrownCode(() => parseExtractionBody('{"code":156,"msg":"未认证"}', 'text/plain'))).toBe('provider_unverified');
    expect(thrownCode(() => parseExtractionBody('{"code":10001,"message":"余额不足"}', undefined))).toBe('provider_error');
  });

  it('throws provider_malformed for JSON that is not the documented shape', () => {
    for (const body of [
      '{"code":200}',
      '{"code":200,"data":null}',
      '{"code":200,"data":[]}',
      '{"code":200,"data":{"list":null}}',
      '{"code":200,"data":{"list":{"a":1}}}',
      '{"code":200,"data":{"list":"1.2.3.4:80"}}',
      '{"data":{"list":[]}}',
      '{"code":200,"data":{"list":[]',
      '[]',
    ]) {
      expect(
        thrownCode(() => parseExtractionBody(body, 'application/json')),
        body,
      ).toBe('provider_malformed');
    }
  });

  it('throws provider_malformed for an HTML page', () => {
    expect(thrownCode(() => parseExtractionBody('<!doctype html><p>502</p>', 'text/html'))).toBe('provider_malformed');
    expect(thrownCode(() => parseExtractionBody('  <html>', undefined))).toBe('provider_malformed');
  });

  it('keeps the SyntaxError text out of the message', () => {
    try {
      parseExtractionBody('{"code":200, "secret-ish": nope', undefined);
      expect.unreachable();
    } catch (err) {
      expect(isSwivelError(err, 'provider_malformed')).toBe(true);
      expect((err as Error).message).not.toContain('nope');
    }
  });

  it('counts malformed entries inside a valid envelope', () => {
    const r = parseExtractionBody(envelope([['1.1.1.1:1', 'bad:port', { ip: 'x.example', port: 80, password: 'pw' }], [7]]), undefined);
    expect(r.endpoints).toHaveLength(2);
    expect(r.malformed).toBe(2);
    expect(r.firstMalformed).toBe('bad:***');
  });

  it('parses a large answer completely', () => {
    const list: string[][] = [];
    for (let h = 0; h < 1000; h++) {
      const group: string[] = [];
      for (let p = 0; p < 100; p++) group.push(`10.${h >> 8}.${h & 255}.1:${10000 + p}`);
      list.push(group);
    }
    const r = parseExtractionBody(envelope(list), 'application/json');
    expect(r.endpoints).toHaveLength(100_000);
    expect(r.malformed).toBe(0);
    expect(r.endpoints[99_999]).toStrictEqual({ host: '10.3.231.1', port: 10099 });
  });
});
