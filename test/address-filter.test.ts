import { describe, it, expect } from 'vitest';
import { createAddressFilter, nonRoutableReason } from '../src/pool/address-filter.js';

describe('nonRoutableReason: IPv4', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.255', 'shared (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast/reserved'],
    ['240.0.0.1', 'multicast/reserved'],
    ['255.255.255.255', 'multicast/reserved'],
  ])('%s is %s', (host, reason) => {
    expect(nonRoutableReason(host)).toBe(reason);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.1',
    '192.167.1.1',
    '169.253.1.1',
    '100.63.255.255',
    '100.128.0.1',
    '223.255.255.255',
    '11.0.0.1',
  ])('%s is public', (host) => {
    expect(nonRoutableReason(host)).toBeUndefined();
  });
});

describe('nonRoutableReason: IPv6', () => {
  it.each([
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['FE80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'multicast/reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::FFFF:192.168.0.1', 'private'],
  ])('%s is %s', (host, reason) => {
    expect(nonRoutableReason(host)).toBe(reason);
  });

  it.each(['2001:4860:4860::8888', '2606:4700::1111', '::ffff:8.8.8.8'])('%s is public', (host) => {
    expect(nonRoutableReason(host)).toBeUndefined();
  });
});

describe('nonRoutableReason: names', () => {
  it.each(['localhost', 'LOCALHOST', 'foo.localhost', 'a.b.localhost'])('%s is loopback', (host) => {
    expect(nonRoutableReason(host)).toBe('loopback');
  });

  it.each(['example.com', 'localhost.example.com', 'mylocalhost', 'proxy.provider.net'])('%s is left to DNS', (host) => {
    expect(nonRoutableReason(host)).toBeUndefined();
  });
});

describe('createAddressFilter', () => {
  it('refuses non-public endpoints by default, naming the range, the host and the flag', () => {
    const reject = createAddressFilter({ allowPrivate: false, ownPorts: [8080, 1080] });
    const reason = reject({ host: '192.168.1.5', port: 3128 });
    expect(reason).toContain('private');
    expect(reason).toContain('192.168.1.5');
    expect(reason).toContain('--allow-private-endpoints');
    expect(reject({ host: '127.0.0.1', port: 3128 })).toContain('loopback');
    expect(reject({ host: 'fe80::1', port: 3128 })).toContain('link-local');
  });

  it('accepts public addresses and host names', () => {
    const reject = createAddressFilter({ allowPrivate: false, ownPorts: [8080] });
    expect(reject({ host: '203.0.113.10', port: 8080 })).toBeUndefined();
    expect(reject({ host: 'proxy.example.com', port: 8080 })).toBeUndefined();
  });

  it('accepts non-public endpoints when allowed', () => {
    const reject = createAddressFilter({ allowPrivate: true, ownPorts: [8080, 1080] });
    expect(reject({ host: '127.0.0.1', port: 3128 })).toBeUndefined();
    expect(reject({ host: '10.0.0.1', port: 8080 })).toBeUndefined();
    expect(reject({ host: '::1', port: 9000 })).toBeUndefined();
  });

  it.each([
    ['127.0.0.1', 8080],
    ['localhost', 1080],
    ['::1', 9090],
    ['::ffff:127.0.0.1', 8080],
  ])('refuses loopback %s:%i, one of our own ports, even when private endpoints are allowed', (host, port) => {
    for (const allowPrivate of [true, false]) {
      const reject = createAddressFilter({ allowPrivate, ownPorts: [8080, 1080, 9090] });
      const reason = reject({ host, port });
      expect(reason).toContain('own listener');
      expect(reason).toContain(String(port));
    }
  });
});
