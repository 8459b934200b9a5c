/**
 * The shared shape of every upstream tunnel opening (HTTP CONNECT, SOCKS5): connect with a
 * timeout, write a request, read replies until the protocol says "established", with a timeout
 * on the reply. Protocols plug in a `start` (first write) and a `step` (parse what has arrived).
 * Each failure is a coded SwivelError; the socket is destroyed on every failure path.
 *
 * The socket reads into reused buffers (reused-reads.ts): a reply that arrives whole, as nearly
 * every one does, is parsed in place and costs no allocation; only a reply split across reads is
 * copied out. On success the socket is left paused, its reads in plain-stream mode, for the relay
 * (or any other reader) to take over.
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

/** Where a protocol writes its requests: a net.Socket, or a raw handle (raw-tcp.ts). */
export interface HandshakeOut {
  write(data: Buffer | string): unknown;
}

export interface HandshakeProtocol {
  /** First bytes to send once TCP is up. */
  start(out: HandshakeOut): void;
  /** `received` may be a view of a reused buffer: keep nothing of it past the call. */
  step(received: Buffer, out: HandshakeOut): StepResult;
  /** Most bytes to buffer before giving up on the peer. */
  maxReplyBytes: number;
}

const EMPTY = Buffer.alloc(0);

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
    let socket: net.Socket;
    try {
      socket = connectReusingReads({ host: endpoint.address ?? endpoint.host, port: endpoint.port });
    } catch (err) {
      // EMFILE and friends can surface synchronously from socket creation.
      reject(upstreamErrorFromSystem(err, 'connect'));
      return;
    }
    socket.setNoDelay(true);
    let connected = false;
    let settled = false;
    /** A reply split across reads, copied out of the reused buffer. */
    let pending: Buffer | undefined;
    const details = (): { endpoint: string } => ({ endpoint: endpoint.id });

    const finish = (err: SwivelError | undefined, head?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (cancel !== undefined) cancel.onCancel = undefined;
      socket.off('close', onClose);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (err !== undefined) {
        setReadSink(socket, null);
        socket.destroy();
        reject(err);
        return;
      }
      // Paused (reading stopped) so no byte is lost before the relay takes over; later reads are
      // pushed as 'data' unless the relay installs its own sink. Errors until then must not crash.
      setReadSink(socket, null);
      socket.pause();
      socket.on('error', noop);
      resolve({ socket, head: head ?? EMPTY });
    };

    const onTimeout = (): void =>
      finish(
        new SwivelError(
          'upstream_timeout',
          connected ? 'upstream proxy did not answer in time' : 'timed out connecting to upstream proxy',
          {
            details: { ...details(), phase: connected ? 'response' : 'connect' },
          },
        ),
      );
    let timer = setTimeout(onTimeout, timeouts.connectTimeoutMs);

    const onConnect = (): void => {
      connected = true;
      clearTimeout(timer);
      timer = setTimeout(onTimeout, timeouts.responseTimeoutMs);
      protocol.start(socket);
    };

    const sink: ReadSink = {
      onRead(nread, buf) {
        if (settled) return false;
        const chunk = buf.subarray(0, nread);
        let received = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          const r = protocol.step(received, socket);
          if (r.kind === 'more') break;
          if (r.kind === 'failed') {
            finish(r.error);
            return false;
          }
          if (r.kind === 'established') {
            // Bytes behind the reply start the tunnelled stream; copied, since `buf` is reused.
            finish(undefined, r.consumed === received.length ? EMPTY : Buffer.from(received.subarray(r.consumed)));
            return false;
          }
          received = received.subarray(r.consumed);
        }
        if (received.length > protocol.maxReplyBytes) {
          finish(new SwivelError('upstream_protocol', 'upstream proxy sent an oversized reply', { details: details() }));
          return false;
        }
        pending = received.length === 0 ? undefined : Buffer.from(received);
        return true;
      },
    };

    const onClose = (): void =>
      finish(
        connected
          ? new SwivelError('upstream_reset', 'upstream proxy closed the connection during the handshake', { details: details() })
          : new SwivelError('upstream_connect_failed', 'could not connect to upstream proxy', { details: details() }),
      );
    const onError = (err: Error): void => finish(upstreamErrorFromSystem(err, connected ? 'handshake' : 'connect'));

    if (cancel !== undefined) {
      cancel.onCancel = () => finish(new SwivelError('client_closed', 'client closed the connection', { details: details() }));
    }
    socket.on('error', onError);
    socket.on('connect', onConnect);
    setReadSink(socket, sink);
    socket.on('close', onClose);
  });
}

function noop(): void {}
