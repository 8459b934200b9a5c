import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../src/cli/exit-codes.js';
import { ERRORS, SwivelError, isSwivelError, type ErrorCode } from '../src/errors.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the errors table is the one policy', () => {
  it.each(Object.keys(ERRORS) as ErrorCode[])('%s has an exit code the CLI uses as is', (code) => {
    expect([1, 2, 3]).toContain(ERRORS[code].exit);
    expect(exitCodeFor(code)).toBe(ERRORS[code].exit);
  });

  it('only user-fixable failures end start-up', () => {
    const fatal = (Object.keys(ERRORS) as ErrorCode[]).filter((c) => ERRORS[c].fatalAtStart);
    expect(fatal.sort()).toEqual(['config_invalid', 'provider_auth', 'provider_unverified']);
    for (const c of fatal) expect(ERRORS[c].exit).toBe(2);
  });
});

describe('errors are recognised by brand, not by prototype', () => {
  it('an error from a second copy of the module matches isSwivelError and instanceof', async () => {
    // A query string makes Node load dist/errors.js as a separate module instance with its own class.
    const copy = (await import(`${pathToFileURL(join(ROOT, 'dist', 'errors.js')).href}?copy=1`)) as typeof import('../src/errors.js');
    expect(copy.SwivelError).not.toBe(SwivelError);
    const foreign = new copy.SwivelError('pool_empty', 'from the other copy');
    expect(isSwivelError(foreign)).toBe(true);
    expect(isSwivelError(foreign, 'pool_empty')).toBe(true);
    expect(isSwivelError(foreign, 'internal')).toBe(false);
    expect(foreign instanceof SwivelError).toBe(true);
    expect(copy.isSwivelError(new SwivelError('bad_request', 'ours'))).toBe(true);
  });

  it('plain errors and look-alikes without the brand do not match', () => {
    expect(isSwivelError(new Error('x'))).toBe(false);
    expect(isSwivelError({ code: 'pool_empty', message: 'fake' })).toBe(false);
    expect(isSwivelError(null)).toBe(false);
    expect({ code: 'pool_empty' } instanceof SwivelError).toBe(false);
  });
});
