/**
 * One HTTP exchange with the provider API: send, read the whole (bounded) body, and turn every
 * transport failure into a coded SwivelError. System errnos are normalised here, once.
 */
import { Agent, request, type Dispatcher } from 'undici';
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
  dispatcher: Dispatcher;
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
let sharedAgent: Agent | undefined;

/** One keep-alive pool for all clients that were not given a dispatcher. */
export function defaultDispatcher(): Dispatcher {
  sharedAgent ??= new Agent({ keepAliveTimeout: 30_000, connect: { timeout: CONNECT_TIMEOUT_MS } });
  return sharedAgent;
}

/** Marks our own deadline so it is told apart from the caller's abort. */
class DeadlineExceeded extends Error {}

export async function send(url: string, options: SendOptions): Promise<RawResponse> {
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
      dispatcher: options.dispatcher,
      method: options.method,
      headers: { accept: 'application/json, text/plain;q=0.9, */*;q=0.1', ...options.headers },
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
