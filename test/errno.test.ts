import { describe, expect, it } from 'vitest';
import { errnoOf, isConnectPhaseErrno, upstreamErrorFromSystem } from '../src/errno.js';

const sys = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

describe('upstreamErrorFromSystem', () => {
  it.each([
    ['EMFILE', 'connect', 'overloaded'],
    ['ENFILE', 'handshake', 'overloaded'],
    ['ECONNREFUSED', 'connect', 'upstream_refused'],
    ['ETIMEDOUT', 'connect', 'upstream_timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'handshake', 'upstream_timeout'],
    ['EHOSTUNREACH', 'handshake', 'upstream_connect_failed'],
    ['ECONNRESET', 'connect', 'upstream_connect_failed'],
    ['ECONNRESET', 'handshake', 'upstream_reset'],
  ] as const)('%s during %s is %s', (errno, phase, code) => {
    const err = upstreamErrorFromSystem(sys(errno), phase);
    expect(err.code).toBe(code);
    expect(err.details).toEqual({ errno });
  });

  it('reads the code of the first error of an AggregateError (Happy Eyeballs)', () => {
    expect(errnoOf(new AggregateError([sys('ECONNREFUSED'), sys('ENETUNREACH')]))).toBe('ECONNREFUSED');
    expect(errnoOf('nope')).toBeUndefined();
  });

  it('counts local exhaustion as a connect-phase failure (nothing was sent)', () => {
    expect(isConnectPhaseErrno('EMFILE')).toBe(true);
    expect(isConnectPhaseErrno('ECONNRESET')).toBe(false);
  });
});
