import { describe, expect, it } from 'vitest';
import { isSwivelError } from '../src/errors.js';
import { authorize, type AuthPolicy } from '../src/server/dialects/index.js';
import { parseCredentials } from '../src/server/dialects/parse.js';

const M = 60_000;

describe('parseCredentials: gateway dialects as pasted', () => {
  it.each([
    ['customer-USER-cc-US-sessid-abc123-sesstime-10', 'customer-USER', { cc: 'us', session: 'abc123', sessionTtlMs: 10 * M }],
    ['brd-customer-hl_1234-zone-res-country-us-session-abc', 'brd-customer-hl_1234-zone-res', { cc: 'us', session: 'abc' }],
    ['user-USER-country-us-session-abc-sessionduration-30', 'user-USER', { cc: 'us', session: 'abc', sessionTtlMs: 30 * M }],
    ['package-123-country-us-sessionid-abc-sessionlength-600', 'package-123', { cc: 'us', session: 'abc', sessionTtlMs: 600_000 }],
    ['customer-X-st-us_california-city-los_angeles', 'customer-X', { cc: 'us', state: 'california', city: 'los angeles' }],
    ['account-x-region-bavaria-sid-q1-sessionttl-5', 'account-x', { state: 'bavaria', session: 'q1', sessionTtlMs: 5 * M }],
    ['session-abc-country-de', undefined, { session: 'abc', cc: 'de' }],
  ])('%s', (username, account, selection) => {
    expect(parseCredentials(username, 'x', undefined)).toEqual({ selection, account, password: 'x' });
  });

  it('reads IPRoyal-style parameters out of the password', () => {
    expect(parseCredentials('user1', 'pass_country-de_session-abcd1234_lifetime-10m', 'user1')).toEqual({
      selection: { cc: 'de', session: 'abcd1234', sessionTtlMs: 10 * M },
      account: 'user1',
      password: 'pass',
    });
    // Underscores that start no known key stay in the password; a city may keep its underscore.
    expect(parseCredentials('u', 'my_pass_city-new_york', 'u')).toEqual({
      selection: { city: 'new york' },
      account: 'u',
      password: 'my_pass',
    });
  });

  it('matches a gateway prefix against --auth by its whole text or its account name', () => {
    expect(parseCredentials('customer-alice-cc-de', 'p', 'alice')?.selection).toEqual({ cc: 'de' });
    expect(parseCredentials('brd-customer-hl_1-zone-res-cc-de', 'p', 'brd-customer-hl_1-zone-res')?.selection).toEqual({ cc: 'de' });
    expect(parseCredentials('brd-customer-hl_1-zone-res-cc-de', 'p', 'hl_1')?.selection).toEqual({ cc: 'de' });
    expect(parseCredentials('customer-bob-cc-de', 'p', 'alice')).toBeUndefined();
  });

  it.each([
    ['customer-x-lifetime-10', 'a number with a unit'],
    ['customer-x-sesstime-0', 'from 1'],
    ['customer-x-session-a-sessid-b', 'given twice'],
    ['customer-x-cc-us-st-de_bavaria', 'another country'],
    ['customer-x-isp-foo', 'cannot select by it'],
    ['customer', 'needs the account name'],
    ['brd-x-y', '-customer-'],
    ['customer-x-', 'ends with a dash'],
  ])('rejects %j (%s)', (username, says) => {
    let error: unknown;
    try {
      parseCredentials(username, 'x', undefined);
    } catch (err) {
      error = err;
    }
    expect(isSwivelError(error, 'bad_selector')).toBe(true);
    expect((error as Error).message).toContain(says);
  });
});

describe('authorize', () => {
  const policy = (over: Partial<AuthPolicy> = {}): AuthPolicy => ({
    challenge: false,
    defaultGeo: { cc: 'us' },
    sessionTtlCapMs: 20 * M,
    ...over,
  });
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (err) {
      return isSwivelError(err) ? err.code : 'other';
    }
  };

  it('challenges a client without credentials in challenge mode, and accepts any password then', () => {
    expect(code(() => authorize(undefined, undefined, policy({ challenge: true })))).toBe('proxy_auth_required');
    expect(authorize('session-x-country-de', 'anything', policy({ challenge: true })).geo).toEqual({ cc: 'de' });
    expect(authorize(undefined, undefined, policy()).geo).toEqual({ cc: 'us' });
  });

  it('caps a client-asked TTL and namespaces the session by account', () => {
    const sel = authorize('customer-a-session-s-sesstime-60', 'x', policy());
    expect(sel).toEqual({
      geo: { cc: 'us', state: undefined, city: undefined, ep: undefined },
      session: 'customer-a:s',
      sessionTtlMs: 20 * M,
    });
  });
});
