import { describe, expect, it } from 'vitest';
import { parseConnectTarget, parsePlainTarget } from '../src/server/http-target.js';

describe('parsePlainTarget', () => {
  it('reads host and port, 80 by default, IPv6 bare', () => {
    expect(parsePlainTarget('http://example.com/x?q=1')).toEqual({ host: 'example.com', port: 80 });
    expect(parsePlainTarget('http://Example.COM:8080/')).toEqual({ host: 'example.com', port: 8080 });
    expect(parsePlainTarget('http://[::1]:81/')).toEqual({ host: '::1', port: 81 });
  });

  it('canonicalises other spellings of an IPv4 address, so the target policy sees what is dialled', () => {
    expect(parsePlainTarget('http://0x7f.1/').host).toBe('127.0.0.1');
    expect(parsePlainTarget('http://2130706433/').host).toBe('127.0.0.1');
  });

  it('refuses origin-form, garbage and other schemes with bad_request', () => {
    for (const t of ['/just/a/path', 'http://exa mple.com/', 'https://example.com/', 'ftp://example.com/']) {
      expect(() => parsePlainTarget(t)).toThrow(expect.objectContaining({ code: 'bad_request' }) as Error);
    }
  });
});

describe('parseConnectTarget', () => {
  it('reads host:port and [v6]:port', () => {
    expect(parseConnectTarget('example.com:443')).toEqual({ host: 'example.com', port: 443 });
    expect(parseConnectTarget('[2001:db8::1]:8443')).toEqual({ host: '2001:db8::1', port: 8443 });
  });

  it('refuses a target without a port, or unparsable', () => {
    for (const t of ['example.com', 'example.com:', ':443', 'exa mple.com:443']) {
      expect(() => parseConnectTarget(t)).toThrow(expect.objectContaining({ code: 'bad_request' }) as Error);
    }
  });
});

describe('parseConnectTarget fast path', () => {
  /** The answer through URL alone, as before the fast path. */
  function viaUrl(raw: string): unknown {
    try {
      const url = new URL(`connect://${raw}`);
      if (url.hostname === '' || url.port === '') return 'refused';
      return { host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname, port: Number(url.port) };
    } catch {
      return 'refused';
    }
  }
  const answer = (raw: string): unknown => {
    try {
      return parseConnectTarget(raw);
    } catch {
      return 'refused';
    }
  };

  it('answers exactly as URL does, for plain targets and for every spelling it hands to URL', () => {
    const hosts = [
      'example.com',
      'Example.COM',
      'a',
      '127.0.0.1',
      '127.1',
      '0x7f.0.0.1',
      'a..b',
      'ex_ample.com',
      'xn--mnchen-3ya.de',
      '-x-.y',
    ];
    const odd = ['ex%41mple.com', 'münchen.de', 'user@host', '[::1]', '[2001:db8::1]', 'exa mple.com', 'host:1', '', ' host', 'host\t'];
    const ports = ['443', '0443', '0', '65535', '65536', '99999999', '', '44x', '-1', '+1', '1e3'];
    for (const host of [...hosts, ...odd])
      for (const port of ports) expect(answer(`${host}:${port}`), `${host}:${port}`).toEqual(viaUrl(`${host}:${port}`));
    for (const t of ['example.com', ':443', 'example.com:443:1']) expect(answer(t), t).toEqual(viaUrl(t));
  });
});
