import net from 'node:net';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { relay } from '../src/server/relay.js';
import { relayRaw } from '../src/server/raw-relay.js';
import { RawTcp } from '../src/upstream/raw-tcp.js';
import { connectReusingReads, READ_BUFFER_BYTES } from '../src/upstream/reused-reads.js';

/**
 * The relay on real loopback sockets, in the shape swivel uses it: `client` is an accepted socket
 * (plain 'data' events), `upstream` an outgoing connection reading into reused buffers — a
 * net.Socket (relay.ts) or a raw libuv handle (raw-relay.ts); every behaviour is checked on both.
 * "far" is the peer behind the upstream (the target, as far as the relay can tell), "near" the
 * user's end.
 */
const cleanup: Array<() => void> = [];
afterEach(() => {
  while (cleanup.length > 0) cleanup.pop()!();
});

async function listen(onConnection: (s: net.Socket) => void, allowHalfOpen = false): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen }, onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => server.close());
  return server;
}
const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port;

interface Tunnel {
  near: net.Socket;
  far: net.Socket;
  client: net.Socket;
  upstream: { readonly bytesRead: number; readonly destroyed: boolean };
  closes: number;
  closed: Promise<void>;
}

/** A listener for one connection: its port, and the accepted socket. */
async function acceptOne(allowHalfOpen = false): Promise<{ port: number; accepted: Promise<net.Socket> }> {
  let take!: (s: net.Socket) => void;
  const accepted = new Promise<net.Socket>((resolve) => (take = resolve));
  const server = await listen((s) => take(s), allowHalfOpen);
  return { port: portOf(server), accepted };
}

/** How the relay's upstream side reads: reused buffers (net), plain 'data' events, or a raw handle. */
type UpstreamKind = 'reused' | 'plain' | 'raw';

function rawConnect(port: number): Promise<RawTcp> {
  const raw = new RawTcp();
  return new Promise((resolve, reject) => {
    const failed = raw.connect('127.0.0.1', port, (status) => (status === 0 ? resolve(raw) : reject(new Error(`connect ${status}`))));
    if (failed !== undefined) reject(new Error(failed));
  });
}

/** `halfOpen`: both accepted sockets allow half-open connections (node:http's CONNECT sockets do). */
async function tunnel(idleTimeoutMs = 30_000, kind: UpstreamKind = 'reused', halfOpen = false): Promise<Tunnel> {
  const farEnd = await acceptOne(halfOpen);
  const nearEnd = await acceptOne(halfOpen);
  const near = net.connect(nearEnd.port, '127.0.0.1');
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const onClose = (): void => {
    t.closes++;
    resolveClosed();
  };
  let t: Tunnel;
  if (kind === 'raw') {
    const [raw, far, client] = await Promise.all([rawConnect(farEnd.port), farEnd.accepted, nearEnd.accepted, once(near, 'connect')]);
    cleanup.push(() => {
      [near, far, client].forEach((s) => s.destroy());
      raw.close();
    });
    t = { near, far, client, upstream: raw, closes: 0, closed };
    relayRaw(client, raw, idleTimeoutMs, onClose);
    return t;
  }
  const upstream =
    kind === 'reused' ? connectReusingReads({ host: '127.0.0.1', port: farEnd.port }) : net.connect(farEnd.port, '127.0.0.1');
  const [far, client] = await Promise.all([farEnd.accepted, nearEnd.accepted, once(upstream, 'connect'), once(near, 'connect')]);
  cleanup.push(() => [near, far, client, upstream].forEach((s) => s.destroy()));
  t = { near, far, client, upstream, closes: 0, closed };
  relay(client, upstream, idleTimeoutMs, onClose);
  return t;
}

/** Deterministic bytes, different per seed, so a chunk landing in the wrong tunnel shows. */
function pattern(bytes: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let x = seed * 2654435761;
  for (let i = 0; i < bytes; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Read everything until 'end', pausing now and then so the sender meets backpressure. */
function slowRead(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // Long enough for the kernel buffers between the relay and this reader to fill.
      if (++n % 4 === 0) {
        socket.pause();
        setTimeout(() => socket.resume(), 2);
      }
    });
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.resume();
  });
}

/** The far side sends three buffers' worth and FIN: all of it, then end, reach the client; onClose once. */
async function finAfterData(kind: UpstreamKind): Promise<void> {
  const t = await tunnel(30_000, kind);
  const body = pattern(READ_BUFFER_BYTES * 3 + 10, 4);
  const received = slowRead(t.near);
  t.far.end(body);
  expect(sha(await received)).toBe(sha(body));
  await t.closed;
  expect(t.closes).toBe(1);
  expect(t.client.destroyed && t.upstream.destroyed).toBe(true);
}

describe.each(['reused', 'raw'] as const)('relay, %s upstream', (kind) => {
  it('delivers bulk downloads byte for byte on concurrent tunnels sharing the reused read buffer', async () => {
    const tunnels = await Promise.all([1, 2, 3, 4].map(() => tunnel(30_000, kind)));
    const bodies = tunnels.map((_, i) => pattern(3 * 1024 * 1024 + 777 * i, i + 1));
    const received = tunnels.map((t) => slowRead(t.near));
    tunnels.forEach((t, i) => t.far.end(bodies[i]!));
    const got = await Promise.all(received);
    got.forEach((b, i) => {
      expect(b.length).toBe(bodies[i]!.length);
      expect(sha(b)).toBe(sha(bodies[i]!));
    });
    await Promise.all(tunnels.map((t) => t.closed));
    for (const t of tunnels) {
      expect(t.closes).toBe(1);
      expect(t.client.bytesWritten).toBe(bodies[tunnels.indexOf(t)]!.length);
      expect(t.upstream.bytesRead).toBe(bodies[tunnels.indexOf(t)]!.length);
    }
  });

  it('keeps bytes intact when the client stops reading until the relay is backed up (writes wait in the kernel queue)', async () => {
    const tunnels = await Promise.all([1, 2].map(() => tunnel(30_000, kind)));
    const bodies = tunnels.map((_, i) => pattern(24 * 1024 * 1024 + 333 * i, i + 11));
    for (const t of tunnels) t.near.pause();
    tunnels.forEach((t, i) => t.far.end(bodies[i]!));
    // Until the relay holds unsent bytes for the client: the kernel buffers in between are full.
    for (let i = 0; i < 2000 && tunnels.some((t) => t.client.writableLength === 0); i++) await new Promise((r) => setTimeout(r, 5));
    expect(tunnels.every((t) => t.client.writableLength > 0)).toBe(true);
    const got = await Promise.all(tunnels.map((t) => slowRead(t.near)));
    got.forEach((b, i) => expect(sha(b)).toBe(sha(bodies[i]!)));
  });

  it('delivers small interleaved chunks both ways in order', async () => {
    const t = await tunnel(30_000, kind);
    const down: Buffer[] = [];
    const up: Buffer[] = [];
    t.near.on('data', (c: Buffer) => down.push(c));
    t.far.on('data', (c: Buffer) => up.push(c));
    for (let i = 0; i < 50; i++) {
      t.near.write(`up ${i};`);
      t.far.write(`down ${i};`);
      await new Promise((r) => setImmediate(r));
    }
    const expectUp = Array.from({ length: 50 }, (_, i) => `up ${i};`).join('');
    const expectDown = Array.from({ length: 50 }, (_, i) => `down ${i};`).join('');
    while (Buffer.concat(up).length < expectUp.length || Buffer.concat(down).length < expectDown.length) {
      await new Promise((r) => setImmediate(r));
    }
    expect(Buffer.concat(up).toString()).toBe(expectUp);
    expect(Buffer.concat(down).toString()).toBe(expectDown);
  });

  it('delivers a bulk upload byte for byte', async () => {
    const t = await tunnel(30_000, kind);
    const body = pattern(2 * 1024 * 1024 + 5, 9);
    const received = slowRead(t.far);
    t.near.end(body);
    const got = await received;
    expect(sha(got)).toBe(sha(body));
  });

  it('a FIN from the far side reaches the client after all data, then onClose once', () => finAfterData(kind));

  it('forwards a half-close from a half-open client: the far side sees end and can still answer', async () => {
    const t = await tunnel(30_000, kind, true);
    const request = slowRead(t.far);
    const answer = slowRead(t.near);
    t.near.end('request');
    expect((await request).toString()).toBe('request');
    t.far.end('answer after FIN');
    expect((await answer).toString()).toBe('answer after FIN');
    await t.closed;
    expect(t.closes).toBe(1);
  });

  it('closes both sides after the idle timeout, onClose once', async () => {
    const t = await tunnel(50, kind);
    await Promise.all([t.closed, once(t.near, 'close'), once(t.far, 'close')]);
    expect(t.closes).toBe(1);
  });

  it('a reset on one side tears down both, onClose once', async () => {
    const t = await tunnel(30_000, kind);
    t.near.on('error', () => undefined);
    t.far.on('error', () => undefined);
    t.far.resetAndDestroy();
    await Promise.all([t.closed, once(t.near, 'close')]);
    expect(t.closes).toBe(1);
    expect(t.client.destroyed && t.upstream.destroyed).toBe(true);
  });
});

describe('relay, net.Socket upstream only', () => {
  it('a FIN from the far side reaches the client after all data (plain reads), then onClose once', () => finAfterData('plain'));

  it('sends bytes the upstream pushed before the relay took over first', async () => {
    // A reused-read socket with no sink behaves as a plain stream: bytes read before the relay are
    // buffered in it and must go out before later ones.
    const farEnd = await acceptOne();
    const nearEnd = await acceptOne();
    const upstream = connectReusingReads({ host: '127.0.0.1', port: farEnd.port });
    const far = await farEnd.accepted;
    const early = once(upstream, 'readable');
    far.write('early;');
    await early;
    upstream.pause();
    const near = net.connect(nearEnd.port, '127.0.0.1');
    const client = await nearEnd.accepted;
    cleanup.push(() => [near, far, client, upstream].forEach((s) => s.destroy()));
    relay(client, upstream, 30_000);
    const got = slowRead(near);
    far.end('late');
    expect((await got).toString()).toBe('early;late');
  });
});
