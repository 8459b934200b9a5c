import { describe, it, expect } from 'vitest';
import { SwivelError } from '../src/errors.js';
import { parseSelectionPairs, parseUsername } from '../src/server/dialects/parse.js';

function badSelector(fn: () => unknown): SwivelError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SwivelError);
    expect((err as SwivelError).code).toBe('bad_selector');
    return err as SwivelError;
  }
  throw new Error('expected a bad_selector error');
}

describe('parseSelectionPairs', () => {
  it('reads nothing from the empty string', () => {
    expect(parseSelectionPairs('')).toEqual({});
  });

  it('reads every key', () => {
    expect(parseSelectionPairs('session-abc-country-de-state-bavaria-city-munich-ep-de')).toEqual({
      session: 'abc',
      cc: 'de',
      state: 'bavaria',
      city: 'munich',
      ep: 'de',
    });
  });

  it('takes cc as an alias of country', () => {
    expect(parseSelectionPairs('cc-us')).toEqual({ cc: 'us' });
    expect(parseSelectionPairs('country-us')).toEqual({ cc: 'us' });
  });

  it('turns underscores into spaces in city and state', () => {
    expect(parseSelectionPairs('state-new_south_wales-city-new_york')).toEqual({ state: 'new south wales', city: 'new york' });
  });

  it('lower-cases keys, countries, places and networks, but not sessions', () => {
    expect(parseSelectionPairs('SESSION-AbC_9-Country-DE-City-New_York-EP-HK')).toEqual({
      session: 'AbC_9',
      cc: 'de',
      city: 'new york',
      ep: 'hk',
    });
  });

  it('accepts pairs in any order', () => {
    expect(parseSelectionPairs('cc-de-session-x')).toEqual(parseSelectionPairs('session-x-cc-de'));
  });

  it.each([
    ['cc-us-country-de', 'country'],
    ['country-us-cc-de', 'cc'],
    ['session-a-session-b', 'session'],
    ['city-x-city-y', 'city'],
    ['ep-us-ep-hk', 'ep'],
  ])('rejects %j: a key given twice', (text, named) => {
    expect(badSelector(() => parseSelectionPairs(text)).message).toContain(`\`${named}\``);
  });

  it('rejects an unknown key, naming it', () => {
    const err = badSelector(() => parseSelectionPairs('session-abc-zone-eu'));
    expect(err.message).toContain('`zone`');
  });

  it.each(['session', 'session-abc-cc'])('rejects %j: a key without a value', (text) => {
    expect(badSelector(() => parseSelectionPairs(text)).message).toContain('has no value');
  });

  it.each(['session-', 'cc-de-city-'])('rejects %j: an empty value', (text) => {
    expect(badSelector(() => parseSelectionPairs(text)).message).toContain('empty value');
  });

  it.each(['-abc', 'session-abc--cc-de', '--'])('rejects %j: an empty key', (text) => {
    expect(badSelector(() => parseSelectionPairs(text)).message).toContain('empty pair key');
  });

  it.each(['cc-usa', 'cc-u', 'country-d1', 'cc-d_', 'cc-d@'])('rejects %j: not a two-letter country', (text) => {
    expect(badSelector(() => parseSelectionPairs(text)).message).toContain(text);
  });

  it.each(['ep-mars', 'ep-uk'])('rejects %j: not a documented network', (text) => {
    const err = badSelector(() => parseSelectionPairs(text));
    expect(err.message).toContain(text);
    expect(err.message).toContain('us, hk, de');
  });

  it('accepts a session of 64 id characters and rejects 65', () => {
    const s64 = 'a'.repeat(64);
    expect(parseSelectionPairs(`session-${s64}`)).toEqual({ session: s64 });
    badSelector(() => parseSelectionPairs(`session-${s64}a`));
  });

  it.each(['session-a.b', 'session-a b', 'session-ä', 'session-a+b'])('rejects %j: session outside [A-Za-z0-9_]', (text) => {
    expect(badSelector(() => parseSelectionPairs(text)).message).toContain(text);
  });

  it.each(['city-new.york', `state-${'x'.repeat(65)}`])('rejects %j: not a place name', (text) => {
    badSelector(() => parseSelectionPairs(text));
  });
});

describe('parseUsername', () => {
  it('reads the whole username as pairs without --auth', () => {
    expect(parseUsername('session-abc-cc-de', undefined)).toEqual({ session: 'abc', cc: 'de' });
    expect(parseUsername('', undefined)).toEqual({});
  });

  it('errors on a plain username without --auth (it is not a pair)', () => {
    badSelector(() => parseUsername('alice', undefined));
  });

  it('accepts the exact auth user with no selection', () => {
    expect(parseUsername('alice', 'alice')).toEqual({});
  });

  it('reads pairs after the auth user and a dash', () => {
    expect(parseUsername('alice-session-abc-cc-us-city-new_york', 'alice')).toEqual({ session: 'abc', cc: 'us', city: 'new york' });
  });

  it.each(['bob', 'alicex', 'alic', 'Alice', 'xalice-cc-de', ''])('returns undefined for another user %j', (name) => {
    expect(parseUsername(name, 'alice')).toBeUndefined();
  });

  it('still rejects bad pairs after the right user', () => {
    badSelector(() => parseUsername('alice-zone-eu', 'alice'));
  });
});
