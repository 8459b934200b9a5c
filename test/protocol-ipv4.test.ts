import { describe, expect, it } from 'vitest';
import { createAddressFilter } from '../src/pool/address-filter.js';
import { ipv4NonRoutableReason, ipv4Number, nonRoutableReason } from '../src/protocol/ip.js';

describe('ipv4Number', () => {
  it.each([
    ['0.0.0.0', 0],
    ['1.2.3.4', 0x01020304],
    ['203.0.113.7', 0xcb007107],
    ['255.255.255.255', 0xffffffff],
  ])('reads %s', (text, value) => {
    expect(ipv4Number(text)).toBe(value);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '1..2.3',
    '.1.2.3',
    '1.2.3.',
    '01.2.3.4',
    '1.2.3.00',
    '1.2.3.4 ',
    '1.2.3.a',
    '1234.1.1.1',
    '::1',
  ])('refuses %j', (text) => {
    expect(ipv4Number(text)).toBe(-1);
  });

  it('reads a range of a longer string', () => {
    expect(ipv4Number('x10.0.0.1:80', 1, 9)).toBe(0x0a000001);
  });
});

describe('the address filter fast path agrees with nonRoutableReason', () => {
  const samples = [
    '8.8.8.8',
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.32.0.1',
    '192.168.1.1',
    '169.254.0.1',
    '100.64.0.1',
    '100.128.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '203.0.113.1',
  ];
  it.each(samples)('%s', (host) => {
    expect(ipv4NonRoutableReason(ipv4Number(host))).toBe(nonRoutableReason(host));
  });

  it('still sees through other spellings, octal 012 = 10 included (they take the slow path)', () => {
    const filter = createAddressFilter({ allowPrivate: false, ownPorts: [] });
    for (const host of ['127.1', '0x7f000001', '012.0.0.1', '::ffff:10.0.0.1']) expect(filter({ host, port: 80 })).toBeDefined();
    expect(filter({ host: '8.8.8.8', port: 80 })).toBeUndefined();
    expect(filter({ host: '10.0.0.1', port: 80 })).toContain('private');
  });
});
