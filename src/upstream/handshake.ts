/**
 * The shared shape of every upstream tunnel opening (HTTP CONNECT, SOCKS5): connect with a
 * timeout, write a request, read replies until the protocol says "established", with a timeout
 * on the reply. Protocols plug in a `start` (first write) and a `step` (parse what has arrived).
 * Each failure is a coded SwivelError; the socket is destroyed on every failure path.
 */
import net from 'node:net';
import { SwivelError } from '../errors.js';
import { upstreamErrorFromSystem } from '../errno.js';
import type { Endpoint } from '../pool/endpoint.js';

import type { DialCancel, Tunnel, TunnelTimeouts } from './types.js';

/** What a protocol step makes of the bytes received so far. */
export type StepResult =
  | { kind: 'more' }
  /** A reply was consumed and the next request written; keep reading. */
  | { kind: 'next'; consumed: number }
  | { kind: 'established'; consumed: number }
  | { kind: 'failed'; error: SwivelError };

export interface HandshakeProtocol {
  /** First bytes to send once TCP is up. */
  start(socket: net.Socket): void;
  step(received: Buffer, socket: net.Socket): StepResult;
  /** Most bytes to buffer before giving up on the peer. */
  maxReplyBytes: number;
}

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
      socket = net.connect({ host: endpoint.address ?? endpoint.host, port: endpoint.port });
    } catch (err) {
      // EMFILE and friends can surface synchronously from socket creation.
      reject(upstreamErrorFromSystem(err, 'connect'));
      return;
    }
    socket.setNoDelay(true);
    let connected = false;
    let settled = false;
    let received: Buffer | undefined;
    const details = { endpoint: endpoint.id };

    const finish = (err: SwivelError | undefined, head?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (cancel !== undefined) cancel.onCancel = undefined;
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (err !== undefined) {
        socket.destroy();
        reject(err);
        return;
      }
      // Removing the data listener does not stop a flowing stream: pause so no byte is lost
      // before the relay takes over. Errors until then must not crash the process.
      socket.pause();
      socket.on('error', noop);
      resolve({ socket, head: head ?? Buffer.alloc(0) });
    };

    const onTimeout = (): void =>
      finish(
        new SwivelError(
          'upstream_timeout',
          connected ? 'upstream proxy did not answer in time' : 'timed out connecting to upstream proxy',
          {
            details: { ...details, phase: connected ? 'response' : 'connect' },
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

    const onData = (chunk: Buffer): void => {
      received = received === undefined || received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      for (;;) {
        const r = protocol.step(received, socket);
        if (r.kind === 'more') break;
        if (r.kind === 'failed') {
          finish(r.error);
          return;
        }
        if (r.kind === 'established') {
          finish(undefined, received.subarray(r.consumed));
          return;
        }
        received = received.subarray(r.consumed);
      }
      if (received.length > protocol.maxReplyBytes) {
        finish(new SwivelError('upstream_protocol', 'upstream proxy sent an oversized reply', { details }));
      }
    };

    const onClose = (): void =>
      finish(
        connected
          ? new SwivelError('upstream_reset', 'upstream proxy closed the connection during the handshake', { details })
          : new SwivelError('upstream_connect_failed', 'could not connect to upstream proxy', { details }),
      );
    const onError = (err: Error): void => finish(upstreamErrorFromSystem(err, connected ? 'handshake' : 'connect'));

    if (cancel !== undefined) {
      cancel.onCancel = () => finish(new SwivelError('client_closed', 'client closed the connection', { details }));
    }
    socket.on('error', onError);
    socket.on('connect', onConnect);
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

function noop(): void {}
