import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startEchoTarget, startSimulation, type EchoTarget, type SimUpstream } from '../src/sim/index.js';
import { startSocksUpstream } from '../src/sim/socks-upstream.js';
import { RawPeer, freePort, hex, ipViaSocks, socksConnect, u16 } from './helpers/socks-client.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function world(auth?: { username: string; password: string }): Promise<{ target: EchoTarget; up: SimUpstream }> {
  const target = await startEchoTarget();
  cleanups.push(() => target.close());
  const up = await startSocksUpstream({ index: 3, localAddress: '127.0.0.13', country: 'us', ep: 'us', auth });
  cleanups.push(() => up.close());
  return { target, up };
}

async function rawPeer(port: number): Promise<RawPeer> {
  const peer = await RawPeer.open(port);
  cleanups.push(() => peer.destroy());
  return peer;
}

/** Rejects with the socks client's error, or fails the test if the CONNECT succeeded. */
async function socksError(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  if (outcome.ok) {
    (outcome.value as net.Socket).destroy();
    throw new Error('expected the SOCKS5 CONNECT to fail');
  }
  expect(outcome.err).toBeInstanceOf(Error);
  return outcome.err as Error;
}

describe('simulated SOCKS5 upstream', () => {
  it('relays a CONNECT from its own localAddress and counts it', async () => {
    const { target, up } = await world();
    expect(up.id).toBe(`127.0.0.1:${up.port}`);
    const ip = await ipViaSocks({ port: up.port, destination: { host: '127.0.0.1', port: target.port } });
    expect(ip).toBe('127.0.0.13');
    expect(up.connects).toBe(1);
    expect(up.requests).toBe(0);
  });

  it('resolves domain targets itself (ATYP 3)', async () => {
    const { target, up } = await world();
    expect(await ipViaSocks({ port: up.port, destination: { host: 'localhost', port: target.port } })).toBe('127.0.0.13');
  });

  it('answers REP 0x05 when the target refuses, in a full 10-byte reply', async () => {
    const { up } = await world();
    const closedPort = await freePort();
    const peer = await rawPeer(up.port);
    peer.write(hex('05 01 00'));
    expect(await peer.read(2)).toEqual(hex('05 00'));
    peer.write(Buffer.concat([hex('05 01 00 01 7f 00 00 01'), u16(closedPort)]));
    const reply = await peer.read(10);
    expect(reply[1]).toBe(0x05);
    expect((await peer.closed).rest).toHaveLength(0);
  });

  it('checks RFC 1929 credentials when it has some', async () => {
    const { target, up } = await world({ username: 'node', password: 'secret' });
    const destination = { host: '127.0.0.1', port: target.port };
    const wrong = await socksError(socksConnect({ port: up.port, destination, userId: 'node', password: 'nope' }));
    expect(wrong.message).toBe('Socks5 Authentication failed');
    const none = await socksError(socksConnect({ port: up.port, destination }));
    expect(none.message).toMatch(/no accepted authentication type/);
    expect(await ipViaSocks({ port: up.port, destination, userId: 'node', password: 'secret' })).toBe('127.0.0.13');
  });

  it('auth-407: refuses the method or the credentials, whichever the client offers', async () => {
    const { target, up } = await world();
    await up.setMode('auth-407');
    const destination = { host: '127.0.0.1', port: target.port };
    const noAuth = await socksError(socksConnect({ port: up.port, destination }));
    expect(noAuth.message).toMatch(/no accepted authentication type/);
    const withAuth = await socksError(socksConnect({ port: up.port, destination, userId: 'a', password: 'b' }));
    expect(withAuth.message).toBe('Socks5 Authentication failed');
  });

  it('refuse: connects are refused, and the node comes back on the same port', async () => {
    const { target, up } = await world();
    await up.setMode('refuse');
    await expect(connectOutcome(up.port)).resolves.toBe('ECONNREFUSED');
    await up.setMode('ok');
    expect(await ipViaSocks({ port: up.port, destination: { host: '127.0.0.1', port: target.port } })).toBe('127.0.0.13');
  });

  it('reset-before-headers: the greeting gets no answer, only a reset', async () => {
    const { up } = await world();
    await up.setMode('reset-before-headers');
    const peer = await rawPeer(up.port);
    peer.write(hex('05 01 00'));
    const ending = await peer.closed;
    expect(ending.rest).toHaveLength(0);
    expect(ending.how).toBe('ECONNRESET');
  });

  it('silent: answers nothing until the client gives up', async () => {
    const { target, up } = await world();
    await up.setMode('silent');
    const err = await socksError(socksConnect({ port: up.port, destination: { host: '127.0.0.1', port: target.port }, timeoutMs: 300 }));
    expect(err.message).toBe('Proxy connection timed out');
  });

  it('reject-connect: REP 0x02 after a normal negotiation', async () => {
    const { target, up } = await world();
    await up.setMode('reject-connect');
    const err = await socksError(socksConnect({ port: up.port, destination: { host: '127.0.0.1', port: target.port } }));
    expect(err.message).toBe('Socks5 proxy rejected connection - NotAllowed');
    expect(up.connects).toBe(1);
  });

  it('close() destroys open tunnels', async () => {
    const { target, up } = await world();
    const socket = await socksConnect({ port: up.port, destination: { host: '127.0.0.1', port: target.port } });
    cleanups.push(() => {
      socket.destroy();
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    await up.close();
    await closed;
  });

  it('startSimulation({ upstreamProtocol: "socks5" }) starts SOCKS5 nodes the provider lists', async () => {
    const sim = await startSimulation({ upstreams: 3, upstreamProtocol: 'socks5' });
    cleanups.push(() => sim.close());
    const ips = [];
    for (const up of sim.upstreams) {
      ips.push(await ipViaSocks({ port: up.port, destination: { host: '127.0.0.1', port: sim.target.port } }));
    }
    expect(ips).toEqual(['127.0.0.10', '127.0.0.11', '127.0.0.12']);
    const res = await fetch(`${sim.apiBase}/ip/v3?app_key=${sim.appKey}&num=3`);
    const listed = JSON.stringify(await res.json());
    for (const up of sim.upstreams) expect(listed).toContain(up.id);
  });

  it('rejects an unknown upstreamProtocol', async () => {
    await expect(startSimulation({ upstreams: 1, upstreamProtocol: 'ftp' as 'http' })).rejects.toThrow(RangeError);
  });
});

function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}
