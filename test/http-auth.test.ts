import { describe, expect, it } from 'vitest';
import { parseProxyAuthorization } from '../src/server/http-auth.js';

const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;

describe('parseProxyAuthorization', () => {
  it('tells no header from an empty one', () => {
    expect(parseProxyAuthorization(undefined)).toEqual({ username: undefined, password: '' });
    expect(parseProxyAuthorization('')).toEqual({ username: '', password: '' });
  });

  it('splits at the first colon; the password may hold more', () => {
    expect(parseProxyAuthorization(basic('user-country-de:pa:ss'))).toEqual({ username: 'user-country-de', password: 'pa:ss' });
  });

  it('reads a user-pass without a colon as all username, and the scheme in any case', () => {
    expect(parseProxyAuthorization(`bAsIc ${Buffer.from('alone').toString('base64')}`)).toEqual({ username: 'alone', password: '' });
  });

  it('refuses other schemes and blank values with bad_request', () => {
    for (const h of ['Bearer abc', 'Digest x=1', '   ']) {
      expect(() => parseProxyAuthorization(h)).toThrow(expect.objectContaining({ code: 'bad_request' }) as Error);
    }
  });
});
