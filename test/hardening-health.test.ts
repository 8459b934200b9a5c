/**
 * Health that blames an endpoint only for its own faults, through the simulator: a target that does
 * not exist (`.invalid`, answered 502 / REP 0x04 by the sim as a real gateway does, no DNS) or a
 * closed target port ejects nothing and is not retried; a client that leaves tears the handshake
 * to the endpoint down at once; SOCKS target edges are refused before any endpoint is contacted.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectGetIp } from './helpers/http-client.js';
import { rawExchange, rawHeader } from './helpers/raw-http.js';
import { RawPeer, freePort, hex, u16 } from './helpers/socks-client.js';
import { startSwivel, stopAll, type Harness } from './helpers/swivel.js';

afterEach(stopAll);

const ejections = (h: Harness): number => h.logs.find('endpoint ejected').length;
const failures = (h: Harness): number => h.app.pool.defaultPool.endpoints.reduce((n, e) => n + e.consecutiveFailures, 0);

describe('the target’s faults are not the endpoint’s', () => {
  it('100 CONNECTs to an unresolvable host: 502 target_unreachable after one attempt each, nothing ejected or counted', async () => {
    const h = await startSwivel();
    for (let i = 0; i < 100; i++) {
      const a = await rawExchange(h.port, 'CONNECT nohost.invalid:443 HTTP/1.1\r\nHost: nohost.invalid:443\r\n\r\n');
      expect(a.status).toBe(502);
      expect(rawHeader(a, 'x-swivel-error')).toBe('target_unreachable');
      expect(rawHeader(a, 'x-swivel-attempts')).toBe('1');
    }
    expect(ejections(h)).toBe(0);
    expect(failures(h)).toBe(0);
    expect(h.sim.upstreams.reduce((n, u) => n + u.connects, 0)).toBe(100);
    // The pool still serves.
    expect((await connectGetIp({ proxyPort: h.port, host: '127.0.0.1', port: h.sim.target.port })).status).toBe(200);
  });

  it('CONNECTs to a closed target port eject nothing', async () => {
    const h = await startSwivel();
    const closed = await freePort();
    for (let i = 0; i < 20; i++) {
      const a = await rawExchange(h.port, `CONNECT 127.0.0.1:${closed} HTTP/1.1\r\nHost: 127.0.0.1:${closed}\r\n\r\n`);
      expect(a.status).toBe(502);
      expect(rawHeader(a, 'x-swivel-error')).toBe('target_unreachable');
    }
    expect(ejections(h)).toBe(0);
    expect(failures(h)).toBe(0);
  });

  it('SOCKS5 upstreams answering 0x04 for an unresolvable host eject nothing; the client gets 0x04', async () => {
    const h = await startSwivel({ socks: true, sim: { upstreamProtocol: 'socks5' }, flags: { 'upstream-protocol': 'socks5' } });
    const socksPort = h.app.socks!.port;
    for (let i = 0; i < 30; i++) expect(await socksReply(socksPort, 'nohost.invalid', 443)).toBe(0x04);
    expect(ejections(h)).toBe(0);
    expect(failures(h)).toBe(0);
  });
});

describe('SOCKS target edges', () => {
  it('answers port 0 with REP 0x02 without contacting an endpoint', async () => {
    const h = await startSwivel({ socks: true });
    const socksPort = h.app.socks!.port;
    expect(await socksReply(socksPort, '127.0.0.1', 0)).toBe(0x02);
    expect(await socksReply(socksPort, 'example.test', 0)).toBe(0x02);
    expect(h.sim.upstreams.reduce((n, u) => n + u.connects, 0)).toBe(0);
  });
});

describe('a client that leaves cancels its dial', () => {
  it('tears the CONNECT handshake to a silent endpoint down at once and blames nobody', async () => {
    const h = await startSwivel({ flags: { 'response-timeout': '10s' } });
    await Promise.all(h.sim.upstreams.map((u) => u.setMode('silent')));
    const open = (): number => h.sim.upstreams.reduce((n, u) => n + u.openConnections, 0);
    const baseline = open();
    const client = net.connect({ host: '127.0.0.1', port: h.port });
    client.on('error', () => {});
    client.write('CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n');
    await until(() => open() > baseline, 2000);
    client.destroy();
    const started = Date.now();
    await until(() => open() === baseline, 2000);
    // Far inside --response-timeout (10 s): the client closing tore it down.
    expect(Date.now() - started).toBeLessThan(500);
    expect(failures(h)).toBe(0);
    expect(ejections(h)).toBe(0);
  });

  it('does the same for a SOCKS client', async () => {
    const h = await startSwivel({ socks: true, flags: { 'response-timeout': '10s' } });
    const socksPort = h.app.socks!.port;
    await Promise.all(h.sim.upstreams.map((u) => u.setMode('silent')));
    const open = (): number => h.sim.upstreams.reduce((n, u) => n + u.openConnections, 0);
    const baseline = open();
    const peer = await RawPeer.open(socksPort);
    peer.write(hex('05 01 00'));
    await peer.read(2);
    peer.write(Buffer.concat([hex('05 01 00 01 7f 00 00 01'), u16(443)]));
    await until(() => open() > baseline, 2000);
    peer.socket.destroy();
    const started = Date.now();
    await until(() => open() === baseline, 2000);
    expect(Date.now() - started).toBeLessThan(500);
    expect(failures(h)).toBe(0);
  });
});

/** One raw SOCKS5 CONNECT (no auth); resolves the reply byte, or -1 when closed without one. */
async function socksReply(port: number, host: string, targetPort: number): Promise<number> {
  const peer = await RawPeer.open(port);
  try {
    peer.write(hex('05 01 00'));
    await peer.read(2);
    const addr = net.isIPv4(host)
      ? Buffer.concat([hex('01'), Buffer.from(host.split('.').map(Number))])
      : Buffer.concat([hex('03'), Buffer.from([host.length]), Buffer.from(host)]);
    peer.write(Buffer.concat([hex('05 01 00'), addr, u16(targetPort)]));
    const reply = await peer.read(2, 3000);
    return reply[1]!;
  } catch {
    return -1;
  } finally {
    peer.socket.destroy();
  }
}

async function until(cond: () => boolean, boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
