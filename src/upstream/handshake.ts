/**
 * The shared shape of every upstream tunnel opening (HTTP CONNECT, SOCKS5): connect with a
 * timeout, write a request, read replies until the protocol says "established", with a timeout
 * on the reply. Protocols plug in a `start` (first write) and a `step` (parse what has arrived).
 * Each failure is a coded SwivelError; the socket is destroyed on every failure path.
 *
 * The socket reads into reused buffers (reused-reads.ts): a reply that arrives whole, as nearly
 * every one does, is parsed in place and costs no allocation; only a reply split across reads is
 * copied out. On success the socket is left reading in plain-stream mode (chunks buffered until
 * someone listens), for the relay (or any other reader) to take over.
 */
import type net from 'node:net';
import { SwivelError } from '../errors.js';
import { upstreamErrorFromSystem } from '../errno.js';
import type { Endpoint } from '../pool/endpoint.js';
import { connectReusingReads, setReadSink, type ReadSink } from './reused-reads.js';

import type { DialCancel, Tunnel, TunnelTimeouts } from './types.js';

/** What a protocol step makes of the bytes received so far. */
export type StepResult =
  | { kind: 'more' }
  /** A reply was consumed and the next request written; keep reading. */
  | { kind: 'next'; consumed: number }
  | { kind: 'established'; consumed: number }
  | { kind: 'failed'; error: SwivelError };

/** The one 'more' answer, so waiting for bytes allocates nothing. */
export const MORE: StepResult = Object.freeze({ kind: 'more' });

export interface HandshakeProtocol {
  /** First bytes to send once TCP is up. */
  start(socket: net.Socket): void;
  /** `received` may be a view of a reused buffer: keep nothing of it past the call. */
  step(received: Buffer, socket: net.Socket): StepResult;
  /** Most bytes to buffer before giving up on the peer. */
  maxReplyBytes: number;
}

const EMPTY = Buffer.alloc(0);

const kHandshake = Symbol('swivel.handshake');
type HandshakeSocket = net.Socket & { [kHandshake]?: Handshake };

export function runHandshake(
  endpoint: Endpoint,
  timeouts: TunnelTimeouts,
  cancel: DialCancel | undefined,
  protocol: HandshakeProtocol,
): Promise<Tunnel> {
  return new Promise<Tunnel>((resolve, reject) => {
    if (cancel?.cancelled === true) {
      reject(new SwivelError('client_closed', 'client closed the connection'));
      return;
    }
    let socket: HandshakeSocket;
    try {
      socket = connectReusingReads({ host: endpoint.address ?? endpoint.host, port: endpoint.port });
    } catch (err) {
      // EMFILE and friends can surface synchronously from socket creation.
      reject(upstreamErrorFromSystem(err, 'connect'));
      return;
    }
    const h = new Handshake(socket, endpoint, timeouts, cancel, protocol, resolve, reject);
    socket[kHandshake] = h;
    socket.setNoDelay(true);
    if (cancel !== undefined) cancel.onCancel = h.cancelled;
    socket.on('error', onError);
    socket.on('connect', onConnect);
    setReadSink(socket, h);
    socket.on('close', onClose);
  });
}

/**
 * One opening in progress: the read sink, the timer's target and the settlement, in one object.
 * The socket's listeners are shared functions (`this` is the socket) that find it by a symbol.
 */
class Handshake implements ReadSink {
  connected = false;
  settled = false;
  /** A reply split across reads, copied out of the reused buffer. */
  pending: Buffer | undefined = undefined;
  timer: NodeJS.Timeout;
  /** For DialCancel.onCancel (the one closure, made only when there is a cancel to hook). */
  readonly cancelled: () => void;

  constructor(
    readonly socket: HandshakeSocket,
    readonly endpoint: Endpoint,
    readonly timeouts: TunnelTimeouts,
    readonly cancel: DialCancel | undefined,
    readonly protocol: HandshakeProtocol,
    readonly resolve: (tunnel: Tunnel) => void,
    readonly reject: (err: unknown) => void,
  ) {
    this.timer = setTimeout(onTimeout, timeouts.connectTimeoutMs, this);
    this.cancelled =
      cancel === undefined
        ? noop
        : () => this.finish(new SwivelError('client_closed', 'client closed the connection', { details: this.details() }));
  }

  details(): { endpoint: string } {
    return { endpoint: this.endpoint.id };
  }

  connectedNow(): void {
    this.connected = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(onTimeout, this.timeouts.responseTimeoutMs, this);
    this.protocol.start(this.socket);
  }

  timedOut(): void {
    const connected = this.connected;
    this.finish(
      new SwivelError('upstream_timeout', connected ? 'upstream proxy did not answer in time' : 'timed out connecting to upstream proxy', {
        details: { ...this.details(), phase: connected ? 'response' : 'connect' },
      }),
    );
  }

  closedEarly(): void {
    this.finish(
      this.connected
        ? new SwivelError('upstream_reset', 'upstream proxy closed the connection during the handshake', { details: this.details() })
        : new SwivelError('upstream_connect_failed', 'could not connect to upstream proxy', { details: this.details() }),
    );
  }

  onRead(nread: number, buf: Buffer): boolean {
    if (this.settled) return false;
    const chunk = buf.subarray(0, nread);
    const pending = this.pending;
    let received = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      const r = this.protocol.step(received, this.socket);
      if (r.kind === 'more') break;
      if (r.kind === 'failed') {
        this.finish(r.error);
        return false;
      }
      if (r.kind === 'established') {
        // Bytes behind the reply start the tunnelled stream; copied, since `buf` is reused.
        this.finish(undefined, r.consumed === received.length ? EMPTY : Buffer.from(received.subarray(r.consumed)));
        // Reading goes on: later reads are pushed as 'data' (no sink) until the relay installs its
        // own, which it does before the next read can arrive (the promise chain runs first). Not
        // stopping here saves a readStop and a readStart per tunnel.
        return true;
      }
      received = received.subarray(r.consumed);
    }
    if (received.length > this.protocol.maxReplyBytes) {
      this.finish(new SwivelError('upstream_protocol', 'upstream proxy sent an oversized reply', { details: this.details() }));
      return false;
    }
    this.pending = received.length === 0 ? undefined : Buffer.from(received);
    return true;
  }

  finish(err: SwivelError | undefined, head?: Buffer): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    if (this.cancel !== undefined) this.cancel.onCancel = undefined;
    socket[kHandshake] = undefined;
    socket.removeListener('close', onClose);
    socket.removeListener('connect', onConnect);
    socket.removeListener('error', onError);
    setReadSink(socket, null);
    if (err !== undefined) {
      socket.destroy();
      this.reject(err);
      return;
    }
    // Errors until the relay (or another reader) takes over must not crash.
    socket.on('error', noop);
    this.resolve({ socket, head: head ?? EMPTY });
  }
}

function onTimeout(h: Handshake): void {
  h.timedOut();
}

function onConnect(this: HandshakeSocket): void {
  this[kHandshake]?.connectedNow();
}

function onClose(this: HandshakeSocket): void {
  this[kHandshake]?.closedEarly();
}

function onError(this: HandshakeSocket, err: Error): void {
  const h = this[kHandshake];
  h?.finish(upstreamErrorFromSystem(err, h.connected ? 'handshake' : 'connect'));
}

function noop(): void {}
