/**
 * One HTTP exchange with the provider API: send, read the whole (bounded) body, and turn every
 * transport failure into a coded SwivelError. System errnos are normalised here, once.
 *
 * Two clients behind one contract: node:http/https keep-alive agents by default, and undici when
 * the caller injects a dispatcher (tests, routing through a proxy). Why not undici always: it is
 * the largest module an idle `serve` loaded (its root import is ~13 MiB of RSS on bare node, and
 * its first connection compiles the llhttp WebAssembly parser, whose tier-up leaves up to ~10 MiB
 * in a compiler thread's malloc arena), for one small GET a minute (issue 12, bench/README.md).
 * undici is imported only when a dispatcher is given.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Dispatcher } from 'undici';
import { systemClock, type Clock } from '../clock.js';
import { errnoOf, isTimeoutErrno } from '../errno.js';
import { SwivelError } from '../errors.js';
import { redactUrl } from '../logger.js';

export interface RawResponse {
  status: number;
  contentType: string | undefined;
  location: string | undefined;
  /** Retry-After as sent (provider/retry-after.ts parses it against the refresher's clock). */
  retryAfter: string | undefined;
  text: string;
}

export interface SendOptions {
  /** undici dispatcher; without one the exchange goes through `agents` (node:http/https). */
  dispatcher?: Dispatcher | undefined;
  /** Keep-alive agents for the node:http path; one shared pair when absent. */
  agents?: NodeAgents | undefined;
  method: 'GET' | 'POST';
  /** One budget for connect, headers and body. */
  timeoutMs: number;
  maxBodyBytes: number;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal | undefined;
  /** Schedules the overall deadline; the system clock when absent. */
  clock?: Clock | undefined;
}

const CONNECT_TIMEOUT_MS = 5_000;
const KEEP_ALIVE_MS = 30_000;

/** Keep-alive agents for the node:http path, one per scheme; `close()` drops their sockets. */
export class NodeAgents {
  readonly http = new HttpAgent({ keepAlive: true, timeout: KEEP_ALIVE_MS });
  readonly https = new HttpsAgent({ keepAlive: true, timeout: KEEP_ALIVE_MS });

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

let sharedAgents: NodeAgents | undefined;

/** One keep-alive pair for all clients given neither a dispatcher nor agents (idle sockets are unref'd). */
export function defaultAgents(): NodeAgents {
  sharedAgents ??= new NodeAgents();
  return sharedAgents;
}

/** Marks our own deadline so it is told apart from the caller's abort. */
class DeadlineExceeded extends Error {}

export async function send(url: string, options: SendOptions): Promise<RawResponse> {
  return options.dispatcher === undefined ? sendNode(url, options) : sendUndici(url, options.dispatcher, options);
}

const ACCEPT = 'application/json, text/plain;q=0.9, */*;q=0.1';

async function sendUndici(url: string, dispatcher: Dispatcher, options: SendOptions): Promise<RawResponse> {
  const { request } = await import('undici');
  const callerSignal = options.signal;
  callerSignal?.throwIfAborted();
  // undici's headersTimeout/bodyTimeout bound the waits between events; the deadline bounds the
  // whole exchange, including a connect that hangs and a body that trickles in.
  const deadline = new AbortController();
  const clock = options.clock ?? systemClock;
  const timer = clock.setTimeout(() => deadline.abort(new DeadlineExceeded()), options.timeoutMs);
  const forwardAbort = (): void => deadline.abort(callerSignal?.reason);
  callerSignal?.addEventListener('abort', forwardAbort, { once: true });
  let body: Dispatcher.ResponseData['body'] | undefined;
  try {
    const response = await request(url, {
      dispatcher,
      method: options.method,
      headers: { accept: ACCEPT, ...options.headers },
      body: options.body,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: deadline.signal,
    });
    body = response.body;
    const text = await readText(body, options.maxBodyBytes, url);
    body = undefined;
    return {
      status: response.statusCode,
      contentType: firstHeader(response.headers['content-type']),
      location: firstHeader(response.headers.location),
      retryAfter: firstHeader(response.headers['retry-after']),
      text,
    };
  } catch (err) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (err instanceof SwivelError) throw err;
    throw transportError(err, url, options.timeoutMs, deadline.signal.reason instanceof DeadlineExceeded);
  } finally {
    clock.clearTimeout(timer);
    callerSignal?.removeEventListener('abort', forwardAbort);
    // Never leave a body unread: a dangling stream holds the socket.
    if (body !== undefined && !body.destroyed) body.destroy();
  }
}

/**
 * The node:http exchange, same contract as the undici one: one deadline for connect, head and
 * body, a connect timeout, the caller's abort, a bounded body, and a response that is always read
 * to its end or destroyed (a half-read response would strand its keep-alive socket).
 */
function sendNode(url: string, options: SendOptions): Promise<RawResponse> {
  const callerSignal = options.signal;
  callerSignal?.throwIfAborted();
  const clock = options.clock ?? systemClock;
  const agents = options.agents ?? defaultAgents();
  const https = url.startsWith('https:');
  const headers: Record<string, string> = { accept: ACCEPT, ...options.headers };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    let deadlineHit = false;
    let connectTimer: NodeJS.Timeout | undefined;
    const finish = (err: unknown, value?: RawResponse): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      clearTimeout(connectTimer);
      callerSignal?.removeEventListener('abort', onAbort);
      if (err === undefined) {
        resolve(value!);
        return;
      }
      req.destroy();
      if (callerSignal?.aborted) reject(callerSignal.reason);
      else if (err instanceof SwivelError) reject(err);
      else reject(transportError(err, url, options.timeoutMs, deadlineHit));
    };
    const onAbort = (): void => finish(callerSignal?.reason);
    const requestFn = https ? httpsRequest : httpRequest;
    const req = requestFn(url, { method: options.method, headers, agent: https ? agents.https : agents.http }, (res) =>
      readNodeBody(res, options.maxBodyBytes, url, (err, text) => {
        if (err !== undefined) {
          res.destroy();
          finish(err);
          return;
        }
        finish(undefined, {
          status: res.statusCode ?? 0,
          contentType: firstHeader(res.headers['content-type']),
          location: firstHeader(res.headers.location),
          retryAfter: firstHeader(res.headers['retry-after']),
          text: text!,
        });
      }),
    );
    const timer = clock.setTimeout(() => {
      deadlineHit = true;
      finish(new DeadlineExceeded());
    }, options.timeoutMs);
    callerSignal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => finish(err));
    req.on('socket', (socket) => {
      // A reused keep-alive socket is already connected; a new one gets the connect timeout.
      if (!socket.connecting) return;
      connectTimer = setTimeout(() => finish(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
      socket.once('connect', () => clearTimeout(connectTimer));
    });
    req.end(options.body);
  });
}

function readNodeBody(res: IncomingMessage, maxBytes: number, url: string, done: (err: unknown, text?: string) => void): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let over = false;
  res.on('data', (chunk: Buffer) => {
    if (over) return;
    bytes += chunk.length;
    if (bytes > maxBytes) {
      over = true;
      done(
        new SwivelError('provider_malformed', `The provider answer is larger than ${maxBytes} bytes.`, {
          details: { url: redactUrl(url), maxBodyBytes: maxBytes },
        }),
      );
      return;
    }
    chunks.push(chunk);
  });
  res.on('end', () => {
    if (!over) done(undefined, Buffer.concat(chunks, bytes).toString('utf8'));
  });
  // A connection cut mid-body: an ECONNRESET error on the response, or at least a close before 'end'.
  res.on('error', (err) => done(err));
  res.on('close', () => {
    if (!res.complete) done(Object.assign(new Error('connection closed before the answer ended'), { code: 'ECONNRESET' }));
  });
}

async function readText(body: Dispatcher.ResponseData['body'], maxBytes: number, url: string): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    bytes += buffer.length;
    if (bytes > maxBytes) {
      throw new SwivelError('provider_malformed', `The provider answer is larger than ${maxBytes} bytes.`, {
        details: { url: redactUrl(url), maxBodyBytes: maxBytes },
      });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, bytes).toString('utf8');
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function transportError(err: unknown, url: string, timeoutMs: number, deadlineHit: boolean): SwivelError {
  const safeUrl = redactUrl(url);
  const errno = errnoOf(err);
  if (deadlineHit || isTimeoutErrno(errno)) {
    return new SwivelError('provider_timeout', `The provider API did not answer within ${timeoutMs} ms (${safeUrl}).`, {
      cause: err,
      details: { url: safeUrl, timeoutMs, errno: errno ?? 'deadline' },
    });
  }
  return new SwivelError('provider_unreachable', `Cannot reach the provider API at ${safeUrl}: ${errno ?? 'unknown error'}.`, {
    cause: err,
    details: { url: safeUrl, errno: errno ?? null },
  });
}
