/**
 * Each gateway's username (and IPRoyal's password) as a user pastes it, through plain HTTP,
 * CONNECT and SOCKS5 against the simulator: it sticks to one IP of the country it names.
 * Sim upstream i sends from 127.0.0.(10+i) and sits in ['us', 'de', 'gb'][i % 3].
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { connectGetIp, ipOf, proxyGet } from './helpers/http-client.js';
import { ipViaSocks } from './helpers/socks-client.js';
import { startSwivel, stopAll, type Harness } from './helpers/swivel.js';

afterEach(stopAll);

const IPS_BY_CC: Record<string, string[]> = {
  us: ['127.0.0.10', '127.0.0.13', '127.0.0.16'],
  de: ['127.0.0.11', '127.0.0.14', '127.0.0.17'],
};

interface VendorCase {
  vendor: string;
  username: string;
  password: string;
  /** --auth for the case, when the dialect needs one (IPRoyal's plain user name). */
  auth?: string;
  cc: string;
}

const VENDORS: VendorCase[] = [
  { vendor: 'Oxylabs', username: 'customer-USER-cc-US-sessid-abc123-sesstime-10', password: 'x', cc: 'us' },
  { vendor: 'Bright Data', username: 'brd-customer-hl_1234-zone-res-country-us-session-abc', password: 'x', cc: 'us' },
  { vendor: 'Decodo', username: 'user-USER-country-us-session-abc-sessionduration-30', password: 'x', cc: 'us' },
  { vendor: 'SOAX', username: 'package-123-country-us-sessionid-abc-sessionlength-600', password: 'x', cc: 'us' },
  { vendor: 'IPRoyal', username: 'user1', password: 'pass_country-de_session-abcd1234_lifetime-10m', auth: 'user1:pass', cc: 'de' },
  { vendor: 'Oxylabs with --auth', username: 'customer-USER-cc-US-sessid-abc123', password: 'pw', auth: 'customer-USER:pw', cc: 'us' },
];

async function start(auth: string | undefined): Promise<Harness> {
  const flags: Record<string, unknown> = { num: 9, life: 60 };
  if (auth !== undefined) flags.auth = auth;
  return startSwivel({ socks: true, flags, sim: { upstreams: 9 } });
}

describe.each(VENDORS)('$vendor: $username', ({ username, password, auth, cc }) => {
  it('sticks to one IP of its country over plain HTTP, CONNECT and SOCKS5', async () => {
    const h = await start(auth);
    const viaHttp = [0, 1, 2].map(() => proxyGet(h.port, h.ipUrl, { username, password }));
    const plain = await Promise.all(viaHttp);
    for (const reply of plain) expect(reply.status, reply.body).toBe(200);
    const ip = ipOf(plain[0]!);
    expect(IPS_BY_CC[cc]).toContain(ip);
    expect(plain.map(ipOf)).toEqual([ip, ip, ip]);

    const tunnel = await connectGetIp({ proxyPort: h.port, host: '127.0.0.1', port: h.sim.target.port, username, password });
    expect(tunnel.status).toBe(200);
    expect(tunnel.ip).toBe(ip);

    const socks = await ipViaSocks({
      port: h.app.socks!.port,
      destination: { host: '127.0.0.1', port: h.sim.target.port },
      userId: username,
      password,
    });
    expect(socks).toBe(ip);
  });
});

describe('dialect semantics through the listener', () => {
  it('keeps sessions of different account prefixes apart', async () => {
    const h = await start(undefined);
    const a = ipOf(await proxyGet(h.port, h.ipUrl, { username: 'customer-a-cc-de-session-s' }));
    const b = ipOf(await proxyGet(h.port, h.ipUrl, { username: 'customer-b-cc-de-session-s' }));
    expect(a).not.toBe(b);
    expect(ipOf(await proxyGet(h.port, h.ipUrl, { username: 'customer-a-cc-de-session-s' }))).toBe(a);
  });

  it('refuses another --auth user and a wrong password, and accepts the password without its parameters', async () => {
    const h = await start('user1:pass');
    expect((await proxyGet(h.port, h.ipUrl, { username: 'user2', password: 'pass_country-de' })).status).toBe(407);
    expect((await proxyGet(h.port, h.ipUrl, { username: 'user1', password: 'nope_country-de' })).status).toBe(407);
    expect((await proxyGet(h.port, h.ipUrl, { username: 'user1', password: 'pass' })).status).toBe(200);
  });

  it('--auth-challenge alone: 407 with Proxy-Authenticate without credentials, any password after it', async () => {
    const h = await startSwivel({ flags: { 'auth-challenge': true } });
    const bare = await proxyGet(h.port, h.ipUrl);
    expect(bare.status).toBe(407);
    expect(bare.headers['proxy-authenticate']).toBe('Basic realm="swivel"');
    const tunnel = await connectGetIp({ proxyPort: h.port, host: '127.0.0.1', port: h.sim.target.port });
    expect(tunnel.status).toBe(407);
    const ok = await proxyGet(h.port, h.ipUrl, { username: 'session-b-country-de', password: 'whatever' });
    expect(ok.status).toBe(200);
    expect(IPS_BY_CC.de).toContain(ipOf(ok));
  });

  it('without --auth or --auth-challenge a request without credentials is served (no challenge)', async () => {
    const h = await startSwivel();
    expect((await proxyGet(h.port, h.ipUrl)).status).toBe(200);
  });

  it.each([
    ['customer-USER-zip-10001', '`zip`'],
    ['customer-USER-asn-123', '`asn`'],
    ['customer-USER-colour-red', '`colour`'],
  ])('answers 400 to %j, naming %s', async (username, named) => {
    const h = await start(undefined);
    const reply = await proxyGet(h.port, h.ipUrl, { username });
    expect(reply.status).toBe(400);
    expect(reply.headers['x-swivel-error']).toBe('bad_selector');
    expect(reply.body).toContain(named);
  });

  it('a lifetime key sets that session idle TTL (sessionlength in seconds)', async () => {
    const clock = new ManualClock();
    const h = await startSwivel({ clock, flags: { num: 9, life: 60 }, sim: { upstreams: 9 } });
    const short = 'country-de-session-short-sessionlength-60';
    const long = 'country-de-session-long';
    const firstShort = ipOf(await proxyGet(h.port, h.ipUrl, { username: short }));
    const firstLong = ipOf(await proxyGet(h.port, h.ipUrl, { username: long }));
    clock.advance(61_000);
    // The short session idled out and is bound anew (round-robin moves on); the long one (10m default) holds.
    expect(ipOf(await proxyGet(h.port, h.ipUrl, { username: long }))).toBe(firstLong);
    expect(ipOf(await proxyGet(h.port, h.ipUrl, { username: short }))).not.toBe(firstShort);
  });
});
