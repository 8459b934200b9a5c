// Regression tests for bugs found in review, one per bug, each failing on the old code.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { loadConfig } from '../src/config/load.js';
import { isSwivelError } from '../src/errors.js';
import { createAddressFilter, nonRoutableReason } from '../src/pool/address-filter.js';
import { Endpoint } from '../src/pool/endpoint.js';
import { MemorySessionStore } from '../src/pool/sessions/memory.js';
import { LeastUsedStrategy } from '../src/pool/strategies/least-used.js';
import { SubPool } from '../src/pool/sub-pool.js';
import { RoundRobinStrategy } from '../src/pool/strategies/round-robin.js';
import { parseStatusLine } from '../src/upstream/http-connect.js';
import { parseSelectionPairs, parseUsername } from '../src/server/dialects/parse.js';

function ep(n: number, uses = 0): Endpoint {
  const e = new Endpoint({ host: `203.0.113.${n}`, port: 8000 + n }, 'k', 0, Number.MAX_SAFE_INTEGER);
  e.uses = uses;
  return e;
}

function configError(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isSwivelError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a config error');
}

describe('sessions read the manual clock without delay', () => {
  it('an idle session expires right after the clock moves past its TTL', () => {
    const clock = new ManualClock();
    const sessions = new MemorySessionStore({ ttlMs: 1000, max: 10, clock });
    sessions.bind('a', ep(1));
    clock.advance(500);
    expect(sessions.get('a')).toBeDefined();
    clock.advance(5000);
    expect(sessions.get('a')).toBeUndefined();
  });
});

describe('least-used does not skip endpoints that come back with low counts', () => {
  it('picks a readmitted endpoint with fewer uses', () => {
    const a = ep(1, 0);
    a.health = 'ejected';
    const list = [a, ep(2, 5), ep(3, 5)];
    const s = new LeastUsedStrategy();
    expect(s.pick(list, 0, undefined)).not.toBe(a);
    a.health = 'healthy';
    expect(s.pick(list, 0, undefined)).toBe(a);
  });

  it('picks a fresh endpoint that replaced another at the same length', () => {
    const list = [ep(1, 5), ep(2, 5), ep(3, 5)];
    const s = new LeastUsedStrategy();
    s.pick(list, 0, undefined);
    const fresh = ep(9, 0);
    list[0] = fresh;
    expect(s.pick(list, 0, undefined)).toBe(fresh);
  });
});

describe('config never echoes an app key', () => {
  it('redacts app_key in an --api-base that does not parse', () => {
    const err = configError(() => loadConfig({ 'api-base': 'api.example.com/gateway?app_key=SECRETKEY' }, {}));
    expect(err.code).toBe('config_invalid');
    expect(err.message).not.toContain('SECRETKEY');
  });

  it.each(['0x10', '1e2', '10.0', ' '])('rejects the non-decimal integer %j', (value) => {
    expect(configError(() => loadConfig({}, { SWIVEL_NUM: value === ' ' ? 'x' : value })).code).toBe('config_invalid');
  });
});

describe('address filter sees through other spellings of loopback and private addresses', () => {
  it.each([
    ['127.1', 'loopback'],
    ['2130706433', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a00:1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
  ])('%s is %s', (host, reason) => {
    expect(nonRoutableReason(host)).toBe(reason);
  });

  it('keeps public names and addresses', () => {
    expect(nonRoutableReason('deadbeef.cafe')).toBeUndefined();
    expect(nonRoutableReason('8.8.8.8')).toBeUndefined();
  });

  it.each(['0.0.0.0', '::'])('refuses %s on our own port even when private endpoints are allowed', (host) => {
    const filter = createAddressFilter({ allowPrivate: true, ownPorts: [8080] });
    expect(filter({ host, port: 8080 })).toContain('own listener');
    expect(filter({ host, port: 9000 })).toBeUndefined();
  });
});

describe('parseStatusLine wants exactly three digits', () => {
  it.each(['HTTP/1.1 2000 X', 'HTTP/1.1 1e2 X', 'HTTP/1.1 20 OK', 'HTTP/1.1 +20 OK', 'HTTP/1.1 099 X'])('rejects %j', (line) => {
    expect(parseStatusLine(line)).toBe(-1);
  });
  it.each([
    ['HTTP/1.1 200 Connection established', 200],
    ['HTTP/1.0 407', 407],
  ])('reads %j', (line, code) => {
    expect(parseStatusLine(line)).toBe(code);
  });
});

describe('sub-pool keeps its id map consistent when a retired endpoint is replaced', () => {
  it('does not duplicate an endpoint after retire, re-ingest and prune', () => {
    const sub = new SubPool('k', {}, true, new RoundRobinStrategy(), 0);
    sub.ingest([{ host: '203.0.113.1', port: 1 }], 0, 10_000);
    sub.endpoints[0]!.retired = true;
    sub.ingest([{ host: '203.0.113.1', port: 1 }], 0, 10_000);
    sub.prune(0);
    sub.ingest([{ host: '203.0.113.1', port: 1 }], 0, 10_000);
    expect(sub.size).toBe(1);
  });
});

describe('username trailing dash', () => {
  it('is refused after pairs and after the auth user', () => {
    expect(() => parseSelectionPairs('cc-us-')).toThrow(expect.objectContaining({ code: 'bad_selector' }));
    expect(() => parseUsername('alice-', 'alice')).toThrow(expect.objectContaining({ code: 'bad_selector' }));
  });
});

describe('drain-timeout', () => {
  it('accepts 0 (cut at once) where other durations must be positive', () => {
    expect(loadConfig({ 'drain-timeout': '0' }, {}).listen.drainTimeoutMs).toBe(0);
    expect(configError(() => loadConfig({ 'session-ttl': '0' }, {})).code).toBe('config_invalid');
  });
});
