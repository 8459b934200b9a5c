import { describe, it, expect } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { Endpoint } from '../src/pool/endpoint.js';
import { MemorySessionStore } from '../src/pool/sessions/memory.js';
import { sessionKey } from '../src/pool/sessions/store.js';

const TTL = 10_000;

function endpoint(n: number, poolKey = 'de/*/*/*'): Endpoint {
  return new Endpoint({ host: `203.0.113.${n}`, port: 8000 + n }, poolKey, 0, Number.MAX_SAFE_INTEGER);
}

/**
 * MemorySessionStore sets lru-cache's `ttlResolution: 0`, so every read sees the manual clock at once.
 * Kept as a no-op await so the tests read the same either way; the regression test below checks
 * the no-wait case explicitly.
 */
function lruClockSettles(): Promise<void> {
  return Promise.resolve();
}

function table(max = 100): { clock: ManualClock; sessions: MemorySessionStore } {
  const clock = new ManualClock();
  return { clock, sessions: new MemorySessionStore({ ttlMs: TTL, max, clock }) };
}

describe('sessionKey', () => {
  it('scopes a session id to its sub-pool', () => {
    expect(sessionKey('de/*/*/*', 'abc')).toBe('de/*/*/*#abc');
    expect(sessionKey('de/*/*/*', 'abc')).not.toBe(sessionKey('us/*/*/*', 'abc'));
  });
});

describe('MemorySessionStore', () => {
  it('returns the bound endpoint for the same key, every time', () => {
    const { sessions } = table();
    const a = endpoint(1);
    const b = endpoint(2);
    sessions.bind('k#one', a);
    sessions.bind('k#two', b);
    expect(sessions.get('k#one')).toBe(a);
    expect(sessions.get('k#one')).toBe(a);
    expect(sessions.get('k#two')).toBe(b);
    expect(sessions.get('k#three')).toBeUndefined();
    expect(sessions.size).toBe(2);
  });

  it('re-binding a key replaces its endpoint', () => {
    const { sessions } = table();
    sessions.bind('k#one', endpoint(1));
    const b = endpoint(2);
    sessions.bind('k#one', b);
    expect(sessions.get('k#one')).toBe(b);
    expect(sessions.size).toBe(1);
  });

  it('forgets a session idle longer than the TTL', async () => {
    const { clock, sessions } = table();
    sessions.bind('k#one', endpoint(1));
    clock.advance(TTL);
    await lruClockSettles();
    expect(sessions.get('k#one')).toBeDefined();
    clock.advance(TTL + 1);
    await lruClockSettles();
    expect(sessions.get('k#one')).toBeUndefined();
  });

  it('each use restarts the idle TTL', async () => {
    const { clock, sessions } = table();
    const a = endpoint(1);
    sessions.bind('k#one', a);
    for (let i = 0; i < 4; i++) {
      clock.advance(TTL - 1);
      await lruClockSettles();
      expect(sessions.get('k#one')).toBe(a);
    }
  });

  it('never moves on its own: without clock.advance a session stays', async () => {
    const { sessions } = table();
    const a = endpoint(1);
    sessions.bind('k#one', a);
    await lruClockSettles();
    expect(sessions.get('k#one')).toBe(a);
  });

  it('caps the number of sessions, evicting the least recently used', () => {
    const { sessions } = table(2);
    const [a, b, c] = [endpoint(1), endpoint(2), endpoint(3)];
    sessions.bind('k#a', a);
    sessions.bind('k#b', b);
    expect(sessions.get('k#a')).toBe(a); // a is now the most recent
    sessions.bind('k#c', c);
    expect(sessions.size).toBe(2);
    expect(sessions.get('k#b')).toBeUndefined();
    expect(sessions.get('k#a')).toBe(a);
    expect(sessions.get('k#c')).toBe(c);
  });

  it('forget and forgetPrefix drop sessions', () => {
    const { sessions } = table();
    sessions.bind('de/*/*/*#a', endpoint(1));
    sessions.bind('de/*/*/*#b', endpoint(2));
    sessions.bind('us/*/*/*#a', endpoint(3, 'us/*/*/*'));
    sessions.forget('de/*/*/*#a');
    expect(sessions.get('de/*/*/*#a')).toBeUndefined();
    expect(sessions.size).toBe(2);
    sessions.forgetPrefix('de/*/*/*#');
    expect(sessions.get('de/*/*/*#b')).toBeUndefined();
    expect(sessions.get('us/*/*/*#a')).toBeDefined();
    expect(sessions.size).toBe(1);
  });

  it('hasSessionsIn looks at the pool key of bound endpoints, and ignores idled-out ones', async () => {
    const { clock, sessions } = table();
    sessions.bind('de/*/*/*#a', endpoint(1, 'de/*/*/*'));
    expect(sessions.hasSessionsIn('de/*/*/*')).toBe(true);
    expect(sessions.hasSessionsIn('us/*/*/*')).toBe(false);
    clock.advance(TTL + 1);
    await lruClockSettles();
    expect(sessions.hasSessionsIn('de/*/*/*')).toBe(false);
  });
});
