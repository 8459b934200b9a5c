import { describe, it, expect } from 'vitest';
import { isSwivelError } from '../src/errors.js';
import { PROVIDER_PRESETS, resolveApiBase } from '../src/provider/presets.js';

describe('resolveApiBase', () => {
  it('knows the brands whose docs state a base', () => {
    expect(resolveApiBase('proxy4free')).toBe('https://api.proxy4free.com/cgi');
    expect(resolveApiBase('ProxyLite')).toBe('https://api.proxylite.com/end-point');
    expect(Object.isFrozen(PROVIDER_PRESETS)).toBe(true);
  });

  it('lets --api-base win and returns undefined with neither', () => {
    expect(resolveApiBase('proxy4free', 'http://127.0.0.1:9000/gateway')).toBe('http://127.0.0.1:9000/gateway');
    expect(resolveApiBase('nope', 'http://x/gateway')).toBe('http://x/gateway');
    expect(resolveApiBase()).toBeUndefined();
    expect(resolveApiBase(undefined, '')).toBeUndefined();
  });

  it('rejects an unknown provider, including prototype names', () => {
    for (const name of ['bestproxy', 'constructor', '__proto__']) {
      try {
        resolveApiBase(name);
        expect.unreachable();
      } catch (err) {
        expect(isSwivelError(err, 'config_invalid')).toBe(true);
        expect((err as Error).message).toBe(`Unknown --provider \`${name}\`; known: proxy4free, proxylite. Or pass --api-base.`);
      }
    }
  });
});
