/**
 * Forward one absolute-URI request through an upstream HTTP proxy, with undici: the request goes
 * to the upstream's origin with the absolute URL as its request-target (RFC 9112 §3.2.2), which
 * undici supports as a path. One shared undici Agent keeps a keep-alive pool per upstream.
 *
 * Split in two so the caller can retry: `sendUpstream` resolves once the upstream's status and
 * headers are in (nothing written to the client yet), `deliver` streams that answer to the client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { SwivelError } from '../errors.js';
import { errnoOf, isConnectPhaseErrno, upstreamErrorFromSystem } from '../errno.js';
import { endpointId, upstreamAuthorization, type Endpoint } from '../pool/endpoint.js';
import { forwardRequestHeaders, stripResponseHeaders } from '../protocol/hop-headers.js';

export interface ForwardOptions {
  dispatcher: Dispatcher;
  /** Wait for the upstream's response head (undici headersTimeout). */
  responseTimeoutMs: number;
  /** Longest pause between body chunks (undici bodyTimeout). */
  idleTimeoutMs: number;
}

/** What every forwarder resolves: status and headers are in, the body is still to stream. */
export interface UpstreamAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/** Send one plain request through `endpoint`; resolves once the upstream's head is in. */
export type Forwarder = (req: IncomingMessage, targetUrl: string, endpoint: Endpoint, signal?: AbortSignal) => Promise<UpstreamAnswer>;

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

/** The forwarder for HTTP upstreams: undici, absolute-form request-target, keep-alive per upstream. */
export function createHttpProxyForwarder(options: ForwardOptions): Forwarder {
  return (req, targetUrl, endpoint, signal) => sendUpstream(req, targetUrl, endpoint, options, signal);
}

async function sendUpstream(
  req: IncomingMessage,
  targetUrl: string,
  endpoint: Endpoint,
  options: ForwardOptions,
  signal?: AbortSignal,
): Promise<UpstreamAnswer> {
  const headers = forwardRequestHeaders(req.rawHeaders, req.headers.connection);
  const auth = upstreamAuthorization(endpoint);
  if (auth !== undefined) headers.push('proxy-authorization', auth);
  const method = req.method ?? 'GET';
  let answer: Dispatcher.ResponseData;
  try {
    answer = await options.dispatcher.request({
      // The checked address (upstream/resolve.ts), never the name: undici must not look it up again.
      origin:
        endpoint.address === undefined || endpoint.address === endpoint.host
          ? `http://${endpoint.id}`
          : `http://${endpointId(endpoint.address, endpoint.port)}`,
      path: targetUrl,
      method: method as Dispatcher.HttpMethod,
      headers,
      body: hasBody(req) ? req : null,
      headersTimeout: options.responseTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
      signal,
    });
  } catch (err) {
    // The client went away: not the endpoint's fault, and nobody to answer.
    if (signal?.aborted === true) throw new SwivelError('client_closed', 'client closed the connection', { cause: err });
    const code = errnoOf(err);
    if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') {
      // The client's request itself cannot be forwarded; not the endpoint's fault.
      throw new SwivelError('bad_request', 'the request cannot be forwarded (invalid header or method)', { cause: err });
    }
    throw upstreamErrorFromSystem(err, isConnectPhaseErrno(code) ? 'connect' : 'handshake');
  }
  // RFC 9110 §11.7.1: a 407 is about the hop to the upstream and is never passed to our client.
  if (answer.statusCode === 407) {
    // Discarding the body makes undici emit an abort error on it; it is expected, not a crash.
    answer.body.on('error', noop);
    answer.body.destroy();
    throw new SwivelError('upstream_auth_failed', 'upstream proxy refused our credentials (407)', { details: { endpoint: endpoint.id } });
  }
  return answer;
}

/** Stream the upstream's answer to the client. After this starts, failures can only cut the connection. */
export async function deliver(answer: UpstreamAnswer, res: ServerResponse): Promise<void> {
  const headers = stripResponseHeaders(answer.headers);
  res.writeHead(answer.statusCode, headers as Record<string, string | string[]>);
  try {
    await pipeline(answer.body, res);
  } catch {
    // Headers are out: nothing may be written after the fact; cutting the socket tells the client.
    res.destroy();
  }
}

function noop(): void {}
