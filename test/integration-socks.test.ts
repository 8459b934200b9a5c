/**
 * The SOCKS5 listener end to end, through real sockets only: swivel in-process, the simulator around it, and
 * independent clients (the `socks` package, curl, raw frames for what no polite client sends).
 */
import { execFile, spawnSync } from 'node:child_process';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ipOf as ipOfReply, proxyGet, proxyPost } from './helpers/http-client.js';
import { SwivelApp } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { startSimulation, type Simulation, type SimulationOptions } from '../src/sim/index.js';
import { RawPeer, getIpOver, hex, ipViaSocks, socksConnect, u16, type SocksConnectOptions } from './helpers/socks-client.js';

const CURL = '/usr/bin/curl';
const hasCurl = spawnSync(CURL, ['--version']).status === 0;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  // Newest first: clients, then swivel, then the simulator it talks to.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  sim: Simulation;
  app: SwivelApp;
  socksPort: number;
  httpPort: number;
  /** `{ port: socksPort, destination: the echo target }` plus overrides. */
  to(extra?: Partial<SocksConnectOptions>): SocksConnectOptions;
}

async function setup(flags: Record<string, unknown> = {}, simOpts: SimulationOptions = {}): Promise<Setup> {
  const sim = await startSimulation(simOpts);
  cleanups.push(() => sim.close());
  const base = loadConfig({ 'api-base': sim.apiBase, 'app-key': sim.appKey, 'allow-private-endpoints': true, port: 0, ...flags }, {});
  // From code, socksPort 0 is an ephemeral port (on the command line it means off): no port race.
  const app = new SwivelApp({ ...base, listen: { ...base.listen, socksPort: 0 } });
  cleanups.push(() => app.stop());
  await app.start();
  const socksPort = app.socks!.port;
  const target = { host: '127.0.0.1', port: sim.target.port };
  return {
    sim,
    app,
    socksPort,
    httpPort: app.http.port,
    to: (extra = {}) => ({ port: socksPort, destination: target, ...extra }),
  };
}

async function rawPeer(port: number): Promise<RawPeer> {
  const peer = await RawPeer.open(port);
  cleanups.push(() => peer.destroy());
  return peer;
}

/** The error a SOCKS CONNECT failed with; fails the test if it succeeded. */
async function socksError(opts: SocksConnectOptions): Promise<Error> {
  const outcome = await socksConnect(opts).then(
    (socket) => ({ ok: true as const, socket }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  if (outcome.ok) {
    outcome.socket.destroy();
    throw new Error('expected the SOCKS5 CONNECT to fail');
  }
  expect(outcome.err).toBeInstanceOf(Error);
  return outcome.err as Error;
}

async function sequentialIps(count: number, opts: SocksConnectOptions): Promise<string[]> {
  const ips: string[] = [];
  for (let i = 0; i < count; i++) ips.push(await ipViaSocks(opts));
  return ips;
}

const localAddresses = (sim: Simulation, country?: string): string[] =>
  sim.upstreams.filter((u) => country === undefined || u.country === country).map((u) => u.localAddress);

/** The 10-byte RFC 1928 §6 reply to a CONNECT of the echo target sent as raw frames (no auth). */
async function rawConnectReply(port: number, targetPort: number): Promise<{ reply: Buffer; peer: RawPeer }> {
  const peer = await rawPeer(port);
  peer.write(hex('05 01 00'));
  expect(await peer.read(2)).toEqual(hex('05 00'));
  peer.write(Buffer.concat([hex('05 01 00 01 7f 00 00 01'), u16(targetPort)]));
  return { reply: await peer.read(10, 5000), peer };
}

describe('SOCKS5 listener: rotation and selection', () => {
  it('rotates: N connections leave through N distinct upstreams', async () => {
    const { sim, to } = await setup();
    const ips = await sequentialIps(5, to());
    expect(new Set(ips).size).toBe(5);
    for (const ip of ips) expect(localAddresses(sim)).toContain(ip);
  });

  it('keeps a session sticky through the username, any password without --auth', async () => {
    const { sim, to } = await setup();
    const ips = await sequentialIps(4, to({ userId: 'session-x', password: 'whatever' }));
    expect(new Set(ips).size).toBe(1);
    expect(localAddresses(sim)).toContain(ips[0]);
  });

  it('country-de (and the cc- alias) only leaves through de upstreams', async () => {
    const { sim, to } = await setup();
    const de = localAddresses(sim, 'de');
    expect(de.length).toBeGreaterThan(1);
    const ips = [
      ...(await sequentialIps(3, to({ userId: 'country-de', password: 'x' }))),
      ...(await sequentialIps(2, to({ userId: 'cc-de', password: 'x' }))),
    ];
    for (const ip of ips) expect(de).toContain(ip);
  });
});

describe('SOCKS5 listener: address types', () => {
  it('ATYP 1: an IPv4 destination', async () => {
    const { sim, to } = await setup();
    expect(localAddresses(sim)).toContain(await ipViaSocks(to()));
  });

  it('ATYP 3: a domain destination, resolved by the upstream', async () => {
    const { sim, to } = await setup();
    const ip = await ipViaSocks(to({ destination: { host: 'localhost', port: sim.target.port } }));
    expect(localAddresses(sim)).toContain(ip);
  });

  it('bytes sent before the reply (optimistic data) reach the target once the tunnel is up', async () => {
    const { sim, socksPort } = await setup();
    const peer = await rawPeer(socksPort);
    const get = `GET /ip HTTP/1.1\r\nHost: 127.0.0.1:${sim.target.port}\r\nConnection: close\r\n\r\n`;
    peer.write(Buffer.concat([hex('05 01 00 05 01 00 01 7f 00 00 01'), u16(sim.target.port), Buffer.from(get)]));
    expect(await peer.read(2)).toEqual(hex('05 00'));
    expect((await peer.read(10))[1]).toBe(0x00);
    const answer = (await peer.closed).rest.toString('latin1');
    expect(answer.startsWith('HTTP/1.1 200')).toBe(true);
    expect(localAddresses(sim)).toContain(ipOf(answer.slice(answer.indexOf('\r\n\r\n') + 4)));
  });

  it('ATYP 4: ::1, where nothing can be reached, gets a failure reply, not a hang', async () => {
    // The echo target listens on 127.0.0.1 only and the sim upstreams send from IPv4 addresses.
    const { sim, to } = await setup();
    const err = await socksError(to({ destination: { host: '::1', port: sim.target.port } }));
    expect(err.message).toMatch(/^Socks5 proxy rejected connection - (?!Granted)\w+$/);
  });
});

describe('SOCKS5 listener: authentication (--auth user:pass)', () => {
  it('a wrong password fails RFC 1929 with 01 01', async () => {
    const { to, socksPort } = await setup({ auth: 'user:pass' });
    const err = await socksError(to({ userId: 'user', password: 'wrong' }));
    expect(err.message).toBe('Socks5 Authentication failed');

    const peer = await rawPeer(socksPort);
    peer.write(hex('05 01 02'));
    expect(await peer.read(2)).toEqual(hex('05 02'));
    peer.write(Buffer.concat([hex('01 04'), Buffer.from('user'), hex('05'), Buffer.from('wrong')]));
    expect(await peer.read(2)).toEqual(hex('01 01'));
    expect((await peer.closed).rest).toHaveLength(0);
  });

  it("a client offering no username/password gets X'FF'", async () => {
    const { to } = await setup({ auth: 'user:pass' });
    const err = await socksError(to());
    expect(err.message).toMatch(/no accepted authentication type/);
  });

  it('the right password with user-session-x works and sticks', async () => {
    const { sim, to } = await setup({ auth: 'user:pass' });
    const ips = await sequentialIps(3, to({ userId: 'user-session-x', password: 'pass' }));
    expect(new Set(ips).size).toBe(1);
    expect(localAddresses(sim)).toContain(ips[0]);
  });
});

describe('SOCKS5 listener: what it refuses', () => {
  it('a SOCKS4 request gets a clean close with no bytes', { timeout: 2000 }, async () => {
    const { socksPort } = await setup();
    const peer = await rawPeer(socksPort);
    peer.write(hex('04 01 00 50 7f 00 00 01 00'));
    const ending = await peer.closed;
    expect(ending.rest).toHaveLength(0);
    expect(ending.how).toBe('close');
  });

  it('a non-SOCKS first byte gets a clean close with no bytes', { timeout: 2000 }, async () => {
    const { socksPort } = await setup();
    const peer = await rawPeer(socksPort);
    peer.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const ending = await peer.closed;
    expect(ending.rest).toHaveLength(0);
    expect(ending.how).toBe('close');
  });

  it('BIND gets a 10-byte reply with REP 0x07, then a close', async () => {
    const { socksPort } = await setup();
    const peer = await rawPeer(socksPort);
    peer.write(hex('05 01 00'));
    expect(await peer.read(2)).toEqual(hex('05 00'));
    peer.write(hex('05 02 00 01 7f 00 00 01 00 50'));
    const reply = await peer.read(10);
    expect(reply[0]).toBe(0x05);
    expect(reply[1]).toBe(0x07);
    expect(reply[3]).toBe(0x01);
    expect((await peer.closed).rest).toHaveLength(0);
  });

  it('an unknown ATYP 0x09 gets a 10-byte reply with REP 0x08, then a close', async () => {
    const { socksPort } = await setup();
    const peer = await rawPeer(socksPort);
    peer.write(hex('05 01 00'));
    expect(await peer.read(2)).toEqual(hex('05 00'));
    peer.write(hex('05 01 00 09 7f 00 00 01 00 50'));
    const reply = await peer.read(10);
    expect(reply[0]).toBe(0x05);
    expect(reply[1]).toBe(0x08);
    expect(reply[3]).toBe(0x01);
    expect((await peer.closed).rest).toHaveLength(0);
  });

  it('a client that says nothing is closed after --socks-timeout', { timeout: 3000 }, async () => {
    const { socksPort } = await setup({ 'socks-timeout': '200ms' });
    const peer = await rawPeer(socksPort);
    const ending = await peer.closed;
    expect(ending.rest).toHaveLength(0);
  });
});

describe('SOCKS5 listener: upstream failures', () => {
  it('upstreams dying mid-handshake are retried on others', async () => {
    // Enough retries that every other upstream can fail first; no ejection, so the pool never runs dry.
    const { sim, to } = await setup({ retries: 3, 'max-failures': 100 }, { upstreams: 4 });
    const [healthy, ...broken] = sim.upstreams;
    await Promise.all(broken.map((u) => u.setMode('reset-before-headers')));
    const ips = await sequentialIps(4, to());
    expect(ips).toEqual(Array(4).fill(healthy!.localAddress));
  });

  it('a dial slower than --socks-timeout still gets its answer (the timeout covers negotiation only)', async () => {
    const { sim, socksPort } = await setup({ 'socks-timeout': '200ms' }, { upstreams: 2 });
    await Promise.all(sim.upstreams.map((u) => u.setMode('slow-start', { delayMs: 500 })));
    const { reply } = await rawConnectReply(socksPort, sim.target.port);
    expect(reply[0]).toBe(0x05);
    expect(reply[1]).toBe(0x00);
  });

  it('with every upstream dying, a full 10-byte failure reply', async () => {
    const { sim, socksPort } = await setup({ retries: 2, 'max-failures': 100 }, { upstreams: 3 });
    await Promise.all(sim.upstreams.map((u) => u.setMode('reset-before-headers')));
    const { reply, peer } = await rawConnectReply(socksPort, sim.target.port);
    expect(reply[0]).toBe(0x05);
    // The upstream's own failure (reset → general failure), not "pool empty", after every try.
    expect(reply[1]).toBe(0x01);
    expect(reply[2]).toBe(0x00);
    expect(reply[3]).toBe(0x01);
    expect((await peer.closed).rest).toHaveLength(0);
  });
});

describe('--upstream-protocol socks5 through SOCKS5 upstreams', () => {
  it('SOCKS5 clients rotate through the SOCKS5 upstreams', async () => {
    const { sim, to } = await setup({ 'upstream-protocol': 'socks5' }, { upstreamProtocol: 'socks5' });
    const ips = await sequentialIps(4, to());
    expect(new Set(ips).size).toBe(4);
    for (const ip of ips) expect(localAddresses(sim)).toContain(ip);
    expect(sim.upstreams.reduce((n, u) => n + u.connects, 0)).toBe(4);
  });

  it('a domain target is passed on for the SOCKS5 upstream to resolve', async () => {
    const { sim, to } = await setup({ 'upstream-protocol': 'socks5' }, { upstreamProtocol: 'socks5' });
    const ip = await ipViaSocks(to({ destination: { host: 'localhost', port: sim.target.port } }));
    expect(localAddresses(sim)).toContain(ip);
  });

  it('HTTP CONNECT clients rotate through the SOCKS5 upstreams too', async () => {
    const { sim, httpPort } = await setup({ 'upstream-protocol': 'socks5' }, { upstreamProtocol: 'socks5' });
    const ips: string[] = [];
    for (let i = 0; i < 4; i++) ips.push(await ipViaHttpConnect(httpPort, sim.target.port));
    expect(new Set(ips).size).toBe(4);
    for (const ip of ips) expect(localAddresses(sim)).toContain(ip);
    expect(sim.upstreams.reduce((n, u) => n + u.connects, 0)).toBe(4);
  });

  it('plain HTTP clients rotate through the SOCKS5 upstreams, one tunnel per request, body intact', async () => {
    const { sim, httpPort } = await setup({ 'upstream-protocol': 'socks5' }, { upstreamProtocol: 'socks5' });
    const ips: string[] = [];
    for (let i = 0; i < 4; i++) {
      const reply = await proxyGet(httpPort, `${sim.target.url}/ip`);
      expect(reply.status, reply.body).toBe(200);
      ips.push(ipOfReply(reply));
    }
    expect(new Set(ips).size).toBe(4);
    for (const ip of ips) expect(localAddresses(sim)).toContain(ip);
    const posted = await proxyPost(httpPort, `${sim.target.url}/echo?x=1`, 'hello=world');
    expect(posted.status).toBe(200);
    const echoed = JSON.parse(posted.body) as { method: string; path: string; body: string; headers: Record<string, string> };
    expect(echoed).toMatchObject({ method: 'POST', path: '/echo?x=1', body: 'hello=world' });
    expect(echoed.headers['proxy-authorization']).toBeUndefined();
  });
});

describe('SOCKS5 listener with curl', () => {
  it.skipIf(!hasCurl)('curl --socks5-hostname fetches through rotating upstreams', async () => {
    const { sim, socksPort } = await setup();
    const url = `http://127.0.0.1:${sim.target.port}/ip`;
    const ips: string[] = [];
    for (let i = 0; i < 3; i++) ips.push(ipOf(await curl(['--socks5-hostname', `127.0.0.1:${socksPort}`, url])));
    expect(new Set(ips).size).toBe(3);
    for (const ip of ips) expect(localAddresses(sim)).toContain(ip);
  });

  it.skipIf(!hasCurl)('curl with socks5h://user-session-x:pass@ sticks, and a wrong password fails', async () => {
    const { sim, socksPort } = await setup({ auth: 'user:pass' });
    const url = `http://localhost:${sim.target.port}/ip`;
    const proxy = (cred: string): string[] => ['--proxy', `socks5h://${cred}@127.0.0.1:${socksPort}`, url];
    const ips = [ipOf(await curl(proxy('user-session-x:pass'))), ipOf(await curl(proxy('user-session-x:pass')))];
    expect(ips[0]).toBe(ips[1]);
    await expect(curl(proxy('user:wrong'))).rejects.toThrow(/curl exited with 97/);
  });
});

/** CONNECT through swivel's HTTP listener with node:http, then a raw `GET /ip` inside the tunnel. */
function ipViaHttpConnect(httpPort: number, targetPort: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const authority = `127.0.0.1:${targetPort}`;
    const req = http.request({
      host: '127.0.0.1',
      port: httpPort,
      method: 'CONNECT',
      path: authority,
      headers: { host: authority },
      agent: false,
    });
    req.setTimeout(3000, () => req.destroy(new Error('CONNECT timed out')));
    req.once('error', reject);
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new Error(`CONNECT answered ${res.statusCode}`));
        return;
      }
      getIpOver(socket, '127.0.0.1', targetPort).then(resolve, reject);
    });
    req.end();
  });
}

/** curl's stdout; rejects with its exit code and stderr on failure. */
function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(CURL, ['-sS', '--max-time', '5', ...args], { timeout: 8000 }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`curl exited with ${String(err.code ?? err.signal)}: ${stderr.trim()}`));
        return;
      }
      resolve(stdout);
    });
  });
}

const ipOf = (body: string): string => (JSON.parse(body) as { ip: string }).ip;

describe.each(['raw', 'net'] as const)('--tunnel-engine %s', (engine) => {
  it.each(['http', 'socks5'] as const)('SOCKS5 and CONNECT clients rotate through %s upstreams, bytes intact', async (protocol) => {
    const { sim, app, httpPort, to } = await setup(
      { 'tunnel-engine': engine, 'upstream-protocol': protocol },
      { upstreamProtocol: protocol },
    );
    // This runtime has the handles: asking for raw must not fall back silently.
    expect(app.tunnelEngine).toBe(engine);
    const ips = await sequentialIps(2, to());
    for (let i = 0; i < 2; i++) ips.push(await ipViaHttpConnect(httpPort, sim.target.port));
    expect(new Set(ips).size).toBe(4);
    for (const ip of ips) expect(localAddresses(sim)).toContain(ip);
    expect(sim.upstreams.reduce((n, u) => n + u.connects, 0)).toBe(4);
  });
});
