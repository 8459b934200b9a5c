import { describe, it, expect } from 'vitest';
import { SwivelError } from '../src/errors.js';
import { checkEnvelope } from '../src/provider/envelope.js';

function thrown(fn: () => unknown): SwivelError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SwivelError) return err;
    throw err;
  }
  throw new Error('expected a SwivelError');
}

describe('checkEnvelope', () => {
  it('returns data for code 200 and code 0', () => {
    expect(checkEnvelope({ code: 200, msg: 'ok', data: { list: [] } })).toEqual({ list: [] });
    expect(checkEnvelope({ code: 0, message: '操作成功', data: 5 })).toBe(5);
    expect(checkEnvelope({ code: '200', data: null })).toBeNull();
    expect(checkEnvelope({ code: 200 })).toBeUndefined();
  });

  it('maps code 3 to provider_auth and code 156 to provider_unverified', () => {
    const auth = thrown(() => checkEnvelope({ code: 3, msg: 'app_key错误', data: null }));
    expect(auth.code).toBe('provider_auth');
    expect(auth.message).toBe('The provider rejected the app key (code 3: invalid app_key). Check --app-key.');
    expect(auth.details).toMatchObject({ providerCode: 3 });

    const unverified = thrown(() => checkEnvelope({ code: 156, message: '账户未认证' }));
    expect(unverified.code).toBe('provider_unverified');
    expect(unverified.message).toBe('The provider account is not verified (code 156). Complete verification in the provider dashboard.');
  });

  it('maps other codes to provider_error with the provider message', () => {
    const err = thrown(() => checkEnvelope({ code: 10001, msg: '余额不足', data: null }));
    expect(err.code).toBe('provider_error');
    expect(err.message).toBe('The provider answered code 10001: 余额不足');
    expect(err.details).toEqual({ providerCode: 10001, providerMessage: '余额不足' });

    expect(thrown(() => checkEnvelope({ code: 7, msg: '', message: 'from message' })).message).toBe(
      'The provider answered code 7: from message',
    );
    expect(thrown(() => checkEnvelope({ code: 7 })).message).toBe('The provider answered code 7 without a message.');
  });

  it('keeps a long provider message to one line of 200 characters', () => {
    const err = thrown(() => checkEnvelope({ code: 9, msg: `第一行\n${'错'.repeat(500)}` }));
    const message = err.details?.providerMessage as string;
    expect(message).toHaveLength(200);
    expect(message.startsWith('第一行 错')).toBe(true);
    expect(err.message).not.toContain('\n');
  });

  it('throws provider_malformed without an object or a numeric code', () => {
    for (const json of [null, 'text', 42, [], {}, { code: 'abc' }, { code: 1.5 }, { msg: 'x', data: {} }]) {
      expect(thrown(() => checkEnvelope(json)).code).toBe('provider_malformed');
    }
  });
});
