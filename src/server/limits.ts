/**
 * Client-side limits of the HTTP listener, applied to its node:http server: time to send
 * a complete request head (--header-timeout; slowloris and silent connections, bare CRLFs),
 * keep-alive idle (--keepalive-timeout), head size (--max-header-size → 431), header count
 * (--max-headers → 431), request-target length (414) and connections per listener
 * (--max-connections: beyond it the socket is closed at once after accept, and counted).
 */
import type http from 'node:http';
import type net from 'node:net';

export interface ListenerLimits {
  headerTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxHeaderSize: number;
  maxHeaders: number;
  /** 0 = no cap. */
  maxConnections: number;
}

/** RFC 9112 §3 recommends at least 8000 octets of request-line; beyond 8 KiB we answer 414. */
export const MAX_URI_LENGTH = 8192;

export const DEFAULT_LIMITS: ListenerLimits = {
  headerTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderSize: 16 * 1024,
  maxHeaders: 100,
  maxConnections: 0,
};

export function applyHttpLimits(server: http.Server, limits: ListenerLimits): void {
  // node:http reads these from the server object per connection, so they are set here, before listen().
  const s = server as http.Server & { maxHeaderSize?: number; connectionsCheckingInterval?: number };
  s.maxHeaderSize = limits.maxHeaderSize;
  server.headersTimeout = limits.headerTimeoutMs;
  // requestTimeout must not be shorter than headersTimeout; 0 leaves long uploads alone.
  server.requestTimeout = 0;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // One more than allowed so an excess is seen (node silently drops headers past the count).
  server.maxHeadersCount = limits.maxHeaders + 1;
  // Expired heads are found by a sweep (default every 30 s); sweep often enough to honour the timeout.
  s.connectionsCheckingInterval = sweepIntervalMs(limits.headerTimeoutMs);
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
}

const SEEN = Symbol('swivel.requestSeen');

/** Mark a client socket as having sent a complete request head. */
export function markRequestSeen(socket: net.Socket): void {
  (socket as net.Socket & { [SEEN]?: true })[SEEN] = true;
}

/** Whether a client socket has sent a complete request head yet. */
export function requestSeen(socket: net.Socket): boolean {
  return (socket as net.Socket & { [SEEN]?: true })[SEEN] === true;
}

/**
 * node:http's header timeout only starts with a request's first byte that is not a CRLF, so a
 * silent connection or one sending bare CRLFs would wait forever. Connections that have not
 * produced a request head are kept in accept order and one sweep (at node's own head-check
 * cadence) closes those past the timeout: no timer per connection, which CONNECT, a connection
 * per tunnel, would pay for every tunnel.
 */
export class SilentConnectionSweeper {
  private readonly unseen = new Map<net.Socket, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly headerTimeoutMs: number,
    /** What to do with a connection past the timeout (default: close it). */
    private readonly expired: (socket: net.Socket) => void = destroySocket,
  ) {}

  accepted(socket: net.Socket): void {
    this.unseen.set(socket, performance.now());
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), sweepIntervalMs(this.headerTimeoutMs));
      this.timer.unref();
    }
  }

  /** A complete request head arrived, or the connection closed. */
  seen(socket: net.Socket): void {
    this.unseen.delete(socket);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    const cutoff = performance.now() - this.headerTimeoutMs;
    // Map order is accept order: the first young one ends the sweep.
    for (const [socket, acceptedAt] of this.unseen) {
      if (acceptedAt > cutoff) break;
      this.unseen.delete(socket);
      this.expired(socket);
    }
  }
}

function destroySocket(socket: net.Socket): void {
  socket.destroy();
}

function sweepIntervalMs(headerTimeoutMs: number): number {
  return Math.max(100, Math.min(1_000, Math.floor(headerTimeoutMs / 4)));
}

/** For the SOCKS listener's net.Server. */
export function applySocketCap(server: net.Server, maxConnections: number): void {
  if (maxConnections > 0) server.maxConnections = maxConnections;
}

/** Status and code for a request head node:http refused, from its parser error. */
export function clientErrorAnswer(err: NodeJS.ErrnoException & { rawPacket?: Buffer }): { status: number; code: string } {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'header_timeout' };
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    // The head overflowed: a request line that alone is too long is a URI problem (414).
    const raw = err.rawPacket;
    const eol = raw === undefined ? -1 : raw.indexOf('\r\n');
    const lineLength = eol === -1 ? (raw?.length ?? 0) : eol;
    if (lineLength > MAX_URI_LENGTH) return { status: 414, code: 'uri_too_long' };
    return { status: 431, code: 'request_header_too_large' };
  }
  return { status: 400, code: 'bad_request' };
}
