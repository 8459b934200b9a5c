import { describe, expect, it } from 'vitest';
import { parsePlainTarget, type Target } from '../src/server/http-target.js';

/** What parsePlainTarget answered before its fast path: WHATWG URL for every target. */
function byUrl(raw: string): Target | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'bad_request';
  }
  if (url.protocol !== 'http:') return 'bad_request';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: url.port === '' ? 80 : Number(url.port) };
}

function parsed(raw: string): Target | string {
  try {
    return parsePlainTarget(raw);
  } catch (err) {
    return (err as { code: string }).code;
  }
}

const HOSTS = [
  'example.com',
  'a',
  'a-b.c-d',
  '-a.com',
  'xn--nxasmq6b.com',
  'xn--.com',
  'a.xn--',
  'ex..com',
  'example.com.',
  '127.0.0.1',
  '1.2.3.4',
  '255.255.255.255',
  '256.1.1.1',
  '01.2.3.4',
  '1.2.3',
  '1.2.3.4.5',
  '0x7f.1',
  '2130706433',
  '1.2.3.example',
  'a.0x1',
  'a.1',
  'a.b1',
  '1a.b',
  'a.1e',
  'Example.COM',
  '[::1]',
  '[2001:db8::1]',
  'user@host',
  'user:pass@host',
  'user:123@host',
  'ex%41mple.com',
  'exa mple.com',
  'a_b.com',
  '',
  'a.b.c.d.e.f.g',
];
const PORTS = ['', ':', ':0', ':80', ':080', ':8080', ':65535', ':65536', ':000080', ':99999', ':1x', ':-1'];
const TAILS = ['', '/', '/x?q=1', '?q', '#f', '\\x', '@evil/', ':/'];
const SCHEMES = ['http://', 'HTTP://', 'https://', 'ftp://', 'http:/', 'http:'];

describe('parsePlainTarget agrees with WHATWG URL on every spelling', () => {
  it('hosts × ports × tails × schemes', () => {
    let n = 0;
    for (const scheme of SCHEMES)
      for (const host of HOSTS)
        for (const port of PORTS)
          for (const tail of TAILS) {
            const raw = `${scheme}${host}${port}${tail}`;
            expect(parsed(raw), raw).toEqual(byUrl(raw));
            n++;
          }
    expect(n).toBe(SCHEMES.length * HOSTS.length * PORTS.length * TAILS.length);
  });

  it('random strings over the characters that matter', () => {
    const alphabet = 'ab0129x-.:/?#@[]%Z_';
    let seed = 12345;
    const rnd = (k: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % k;
    };
    for (let t = 0; t < 5000; t++) {
      let rest = '';
      const len = 1 + rnd(14);
      for (let i = 0; i < len; i++) rest += alphabet[rnd(alphabet.length)];
      const raw = `http://${rest}`;
      expect(parsed(raw), raw).toEqual(byUrl(raw));
    }
  });
});
