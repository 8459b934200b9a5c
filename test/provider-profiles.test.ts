import { describe, expect, it } from 'vitest';
import { isSwivelError } from '../src/errors.js';
import { PROVIDER_PRESETS } from '../src/provider/presets.js';
import {
  PROFILES,
  documentedBase,
  ipideaEnvelope,
  platformEnvelope,
  profileByName,
  profileForBase,
} from '../src/provider/profiles/index.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isSwivelError(err) ? err.code : 'not-coded';
  }
  return undefined;
}

describe('provider profiles', () => {
  it('brands, prefixes and documented bases; extraction presets derive from them', () => {
    expect(Object.fromEntries(Object.values(PROFILES).map((p) => [p.name, `${p.baseUrl ?? '-'}${p.prefix}`]))).toEqual({
      gateway: '-/gateway',
      proxy4free: 'https://api.proxy4free.com/cgi',
      proxylite: 'https://api.proxylite.com/end-point',
      openapi: '-/openapi',
      pub: '-/pub',
      ipidea: 'https://api.ipidea.net',
    });
    expect(PROVIDER_PRESETS).toEqual({ proxy4free: 'https://api.proxy4free.com/cgi', proxylite: 'https://api.proxylite.com/end-point' });
    expect(documentedBase(profileByName('IPIDEA'))).toBe('https://api.ipidea.net');
    expect(code(() => profileByName('constructor'))).toBe('config_invalid');
  });

  it('infers the brand from the base prefix', () => {
    expect(profileForBase('http://127.0.0.1:9/pub').name).toBe('pub');
    expect(profileForBase('https://x.example/end-point/').name).toBe('proxylite');
    expect(profileForBase('https://x.example/whatever').name).toBe('gateway');
  });

  it('platform envelope: success codes per endpoint; refusals carry the configured code', () => {
    const env = platformEnvelope({ refused: 'provider_refused' });
    expect(env.unwrap({ code: 0, message: 'ok', data: [1] }, [0])).toEqual([1]);
    expect(code(() => env.unwrap({ code: 200, data: [] }, [0]))).toBe('provider_refused');
    expect(code(() => env.unwrap({ code: 3 }, [200]))).toBe('provider_auth');
    expect(code(() => env.unwrap({ code: 156 }, [200]))).toBe('provider_unverified');
    expect(code(() => env.unwrap('nope', [200]))).toBe('provider_malformed');
  });

  it('IPIDEA envelope: ret 0 gives ret_data; anything else is a failure with msg', () => {
    const env = ipideaEnvelope({ refused: 'provider_refused' });
    expect(env.unwrap({ ret: 0, code: '1', msg: 'success', ret_data: { order_id: '1' }, timestamp: 1 }, [0])).toEqual({ order_id: '1' });
    try {
      env.unwrap({ ret: 1, code: '0', msg: '余额不足\n', ret_data: null }, [0]);
      expect.unreachable();
    } catch (err) {
      expect(isSwivelError(err, 'provider_refused')).toBe(true);
      expect((err as Error).message).toBe('The provider answered ret 1: 余额不足');
    }
    expect(code(() => env.unwrap({ code: 200, data: {} }, [0]))).toBe('provider_malformed');
  });
});
