/**
 * Forward one absolute-URI request through an upstream HTTP proxy: the request goes to the
 * upstream with the absolute URL as its request-target (RFC 9112 §3.2.2), on a kept-alive
 * connection of swivel's own pool (h1-sockets.ts), read by node's strict llhttp parser
 * (h1-exchange.ts), so the framing checks are llhttp's: Transfer-Encoding with Content-Length,
 * differing or invalid Content-Lengths, invalid chunk sizes, obs-fold, bare LF, oversized heads,
 * bodies shorter than announced.
 *
 * This replaced undici's `dispatch()` (and before it `request()` with a promise pipeline): on the
 * plain-HTTP path undici's request validation, queueing and wasm parser were the largest part of
 * swivel's CPU per request once the rest was trimmed (bench/README.md). What is left per request:
 * one head string, one write, one parser run per read, one object (the Exchange) that is at once
 * the attempt's cancel target and the answer the attempt resolves.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SwivelError } from '../errors.js';
import { upstreamAuthorization, type Endpoint } from '../pool/endpoint.js';
import { requestFieldLines } from '../protocol/hop-headers.js';
import { Exchange } from './h1-exchange.js';
import { RequestBody } from './h1-request-body.js';
import type { UpstreamSockets } from './h1-sockets.js';
import type { DialCancel } from './types.js';

export interface ForwardOptions {
  /** The kept-alive connections to upstreams (owned by the caller, closed on stop). */
  sockets: UpstreamSockets;
  /** Wait for the upstream's response head once the request is sent. */
  responseTimeoutMs: number;
  /** Longest pause between body reads. */
  idleTimeoutMs: number;
}

/** Told once when an answer has been delivered to the client, or cut (`ok` false). */
export interface Delivery {
  delivered(ok: boolean): void;
}

/** What every forwarder resolves: status and headers are in, the body is still to come. */
export interface UpstreamAnswer {
  readonly statusCode: number;
  /**
   * Write the answer to `res` (`close`: with Connection: close), then tell `delivery`. After this
   * starts a failure can only cut the client connection: the head is out.
   */
  deliver(res: ServerResponse, close: boolean, delivery: Delivery): void;
  /** Throw the answer away unread (the client left, or another attempt won): frees the upstream side. */
  discard(): void;
}

/**
 * Send one plain request through `endpoint`; resolves once the upstream's head is in. `ctl`
 * cancelled tears the upstream request down at once and rejects.
 */
export type Forwarder = (req: IncomingMessage, targetUrl: string, endpoint: Endpoint, ctl: DialCancel) => Promise<UpstreamAnswer>;

/** Methods RFC 9110 §9.2.2 calls idempotent: safe to replay on another endpoint. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** True when the request carries a body (RFC 9112 §6.3: framed by Transfer-Encoding or Content-Length). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * True when a failed attempt may be replayed on another endpoint: idempotent method (RFC 9110
 * §9.2.2) and no body, so nothing was consumed from the client that we could not send again.
 */
export function isReplayable(req: IncomingMessage): boolean {
  return IDEMPOTENT.has(req.method ?? '') && !hasBody(req);
}

/**
 * The forwarder for HTTP upstreams. A replayable request takes an idle connection to the endpoint
 * when there is one (a stale one is retried on a new connection, h1-exchange.ts); a request that
 * cannot be replayed (it has a body, or is not idempotent) always gets a new connection, so it is
 * never sent down a socket the upstream may be closing.
 */
export function createHttpProxyForwarder(options: ForwardOptions): Forwarder {
  const { sockets } = options;
  return (req, targetUrl, endpoint, ctl) => {
    if (ctl.cancelled) return Promise.reject(new SwivelError('client_closed', 'client closed the connection'));
    const replayable = isReplayable(req);
    const body = hasBody(req) ? new RequestBody(req, req.headers['transfer-encoding'] !== undefined) : undefined;
    const method = req.method ?? 'GET';
    const head = requestHead(method, targetUrl, req, endpoint, body?.chunked === true);
    return new Promise<UpstreamAnswer>((resolve, reject) => {
      const conn = (replayable ? sockets.take(endpoint) : undefined) ?? sockets.connect(endpoint);
      new Exchange(options, conn, head, method === 'HEAD', replayable, body, ctl, resolve, reject);
    });
  };
}

/** Basic credentials per endpoint, encoded once (not per request); never logged. */
const authorizations = new WeakMap<Endpoint, string>();

function authorizationOf(endpoint: Endpoint): string | undefined {
  if (endpoint.username === undefined) return undefined;
  let auth = authorizations.get(endpoint);
  if (auth === undefined) authorizations.set(endpoint, (auth = upstreamAuthorization(endpoint)!));
  return auth;
}

/**
 * The request head in one string: request line in absolute form, the client's fields minus
 * hop-by-hop ones, our credentials for the upstream. Everything in it came through node:http's
 * strict parser (names are tokens, values have no CR/LF/NUL), so it is written as it is, latin1.
 */
export function requestHead(method: string, targetUrl: string, req: IncomingMessage, endpoint: Endpoint, chunked: boolean): string {
  let head = `${method} ${targetUrl} HTTP/1.1\r\n${requestFieldLines(req.rawHeaders, req.headers.connection)}`;
  const auth = authorizationOf(endpoint);
  if (auth !== undefined) head += `proxy-authorization: ${auth}\r\n`;
  if (chunked) head += 'transfer-encoding: chunked\r\n';
  return `${head}\r\n`;
}
