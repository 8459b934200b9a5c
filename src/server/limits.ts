/**
 * Client-side limits of the HTTP listener, applied to proxy-chain's node:http server: time to send
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
  // node:http reads these from the server object per connection; proxy-chain builds the server
  // without options, so they are set here, before listen().
  const s = server as http.Server & { maxHeaderSize?: number; connectionsCheckingInterval?: number };
  s.maxHeaderSize = limits.maxHeaderSize;
  server.headersTimeout = limits.headerTimeoutMs;
  // requestTimeout must not be shorter than headersTimeout; 0 leaves long uploads alone.
  server.requestTimeout = 0;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // One more than allowed so an excess is seen (node silently drops headers past the count).
  server.maxHeadersCount = limits.maxHeaders + 1;
  // Expired heads are found by a sweep (default every 30 s); sweep often enough to honour the timeout.
  s.connectionsCheckingInterval = Math.max(100, Math.min(1_000, Math.floor(limits.headerTimeoutMs / 4)));
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  closeSilentConnections(server, limits.headerTimeoutMs);
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
 * silent connection or one sending bare CRLFs would wait forever; one timer per connection (not
 * per request) closes those that have not produced a request head in time.
 */
export function closeSilentConnections(server: http.Server, headerTimeoutMs: number): void {
  server.on('connection', (socket: net.Socket) => {
    const timer = setTimeout(() => {
      if ((socket as net.Socket & { [SEEN]?: true })[SEEN] !== true) socket.destroy();
    }, headerTimeoutMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
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
