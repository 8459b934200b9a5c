/** What replicas tell each other is checked field by field: anything else on the channel is dropped whole. */
import { describe, expect, it } from 'vitest';
import { decodeBatch, decodeMessage, encode, type SharedBatch } from '../src/cluster/messages.js';
import { clusterKeys } from '../src/cluster/keys.js';

const batch: SharedBatch = {
  id: 'b1',
  pool: '*/*/*/*',
  expiresAt: 1_700_000_300_000,
  endpoints: [
    { host: '10.0.0.1', port: 8000, username: 'u', password: 'p' },
    { host: '2001:db8::1', port: 1080 },
  ],
};

describe('bus messages', () => {
  it('round-trip a batch, a failure and an ejection', () => {
    expect(decodeBatch(encode(batch))).toEqual(batch);
    expect(decodeMessage(encode({ t: 'batch', from: 'r1', batch }))).toEqual({ t: 'batch', from: 'r1', batch });
    const failed = { t: 'failed', from: 'r1', pool: 'de/*/*/*', code: 'provider_http', message: 'HTTP 500', retryAfter: '5' } as const;
    expect(decodeMessage(encode(failed))).toEqual(failed);
    const eject = {
      t: 'eject',
      from: 'r2',
      pool: '*/*/*/*',
      id: '10.0.0.1:8000',
      forMs: 30_000,
      ejections: 1,
      reason: 'upstream_refused',
    } as const;
    expect(decodeMessage(encode(eject))).toEqual(eject);
  });

  it.each([
    ['not JSON', '{'],
    ['no sender', JSON.stringify({ t: 'batch', batch })],
    ['unknown type', JSON.stringify({ t: 'hello', from: 'r1' })],
    ['bad port', JSON.stringify({ t: 'batch', from: 'r1', batch: { ...batch, endpoints: [{ host: 'h', port: 70000 }] } })],
    ['empty host', JSON.stringify({ t: 'batch', from: 'r1', batch: { ...batch, endpoints: [{ host: '', port: 1 }] } })],
    ['no expiry', JSON.stringify({ t: 'batch', from: 'r1', batch: { ...batch, expiresAt: 'soon' } })],
    ['negative back-off', JSON.stringify({ t: 'eject', from: 'r1', pool: 'p', id: 'x', forMs: -1, ejections: 1, reason: 'r' })],
  ])('drops %s', (_name, text) => {
    expect(decodeMessage(text)).toBeUndefined();
  });

  it('keys live under the prefix and a hash of the source, so two providers on one Redis never mix', () => {
    const a = clusterKeys('swivel', 'api http://a.example/gateway');
    const b = clusterKeys('swivel', 'api http://b.example/gateway');
    expect(a.pool('*/*/*/*')).toMatch(/^swivel:[0-9a-f]{8}:pool:\*\/\*\/\*\/\*$/);
    expect(a.pool('x')).not.toBe(b.pool('x'));
    expect(a.bus).not.toBe(b.bus);
    expect(clusterKeys('fleet2', 'api http://a.example/gateway').bus).not.toBe(a.bus);
  });
});
