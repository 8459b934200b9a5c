/**
 * Forward one absolute-URI request through an upstream HTTP proxy: the request goes to the
 * upstream's origin with the absolute URL as its request-target (RFC 9112 §3.2.2). One shared
 * undici Agent keeps a keep-alive pool per upstream, and undici's parser (llhttp, strict) reads
 * the upstream's answer, so its framing checks (Content-Length vs chunked, duplicate lengths,
 * invalid chunk sizes, body shorter than announced) stay undici's.
 *
 * What is ours is the path around it. `request()` wraps every answer in a Readable, a promise and
 * an AbortSignal, and piping that Readable to the client with `stream/promises` built a
 * DOMException per finish; together that was most of swivel's CPU per request (bench/README.md).
 * Here one object per attempt is undici's raw dispatch handler and the answer at once: the
 * attempt resolves when the head is in, and `deliver` writes the head and every body chunk
 * straight to the client's ServerResponse, with backpressure by undici's pause/resume.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { SwivelError } from '../errors.js';
import { errnoOf, isConnectPhaseErrno, upstreamErrorFromSystem } from '../errno.js';
import { endpointId, upstreamAuthorization, type Endpoint } from '../pool/endpoint.js';
import { forwardRequestHeaders, forwardResponseHeaders } from '../protocol/hop-headers.js';
import type { DialCancel } from './types.js';

export interface ForwardOptions {
  dispatcher: Dispatcher;
  /** Wait for the upstream's response head (undici headersTimeout). */
  responseTimeoutMs: number;
  /** Longest pause between body chunks (undici bodyTimeout). */
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

/** The forwarder for HTTP upstreams: undici dispatch, absolute-form request-target, keep-alive per upstream. */
export function createHttpProxyForwarder(options: ForwardOptions): Forwarder {
  return (req, targetUrl, endpoint, ctl) => {
    const headers = forwardRequestHeaders(req.rawHeaders, req.headers.connection);
    const auth = upstreamAuthorization(endpoint);
    if (auth !== undefined) headers.push('proxy-authorization', auth);
    return new Promise<UpstreamAnswer>((resolve, reject) => {
      const handler = new ForwardHandler(endpoint.id, ctl, resolve, reject);
      if (ctl.cancelled) return handler.cancel();
      options.dispatcher.dispatch(
        {
          // The checked address (upstream/resolve.ts), never the name: undici must not look it up again.
          origin:
            endpoint.address === undefined || endpoint.address === endpoint.host
              ? `http://${endpoint.id}`
              : `http://${endpointId(endpoint.address, endpoint.port)}`,
          path: targetUrl,
          method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
          headers,
          body: hasBody(req) ? req : null,
          headersTimeout: options.responseTimeoutMs,
          bodyTimeout: options.idleTimeoutMs,
        },
        handler,
      );
    });
  };
}

/** Bytes a slow client may have queued before the upstream is paused (per request). */
const WRITE_SLACK_BYTES = 256 * 1024;

const PENDING = 0;
/** Head in, the attempt resolved; body chunks are held until `deliver`. */
const ANSWERED = 1;
const DELIVERING = 2;
const DONE = 3;

function clientClosed(cause?: unknown): SwivelError {
  return new SwivelError('client_closed', 'client closed the connection', { cause });
}

/**
 * undici's raw (v1) handler interface, which its HTTP/1.1 client calls without wrapping, and the
 * answer the attempt resolves. Until `deliver` the chunks that arrive (at most what one socket read
 * held: `deliver` runs in the same microtask run as the head) are kept; after it they go straight
 * to the client. Backpressure: a full client socket pauses undici's parser until 'drain'.
 */
class ForwardHandler implements Dispatcher.DispatchHandler, UpstreamAnswer {
  statusCode = 0;
  private state = PENDING;
  private rawHeaders: Buffer[] | undefined;
  private abortUpstream: ((err?: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private held: Buffer[] | undefined;
  private complete = false;
  private failed = false;
  private res: ServerResponse | undefined;
  private delivery: Delivery | undefined;
  private onDrain: (() => void) | undefined;

  constructor(
    private readonly endpointId: string,
    private readonly ctl: DialCancel,
    private readonly resolve: (answer: UpstreamAnswer) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    ctl.onCancel = () => this.cancel();
  }

  /** The dial was cancelled while this attempt was pending: stop the upstream request, reject. */
  cancel(): void {
    if (this.state !== PENDING) return;
    this.state = DONE;
    const err = clientClosed();
    this.reject(err);
    // Before undici has written the request there is nothing to abort yet: onConnect does it.
    this.abortUpstream?.(err);
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.state === DONE) abort(clientClosed());
    else this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx interim answers (103 Early Hints) are not the answer; undici calls again for the final one.
    if (statusCode < 200 || this.state !== PENDING) return true;
    this.ctl.onCancel = undefined;
    if (statusCode === 407) {
      // RFC 9110 §11.7.1: a 407 is about the hop to the upstream and is never passed to our client.
      this.state = DONE;
      const err = new SwivelError('upstream_auth_failed', 'upstream proxy refused our credentials (407)', {
        details: { endpoint: this.endpointId },
      });
      this.reject(err);
      this.abortUpstream?.(err);
      return false;
    }
    this.state = ANSWERED;
    this.statusCode = statusCode;
    this.rawHeaders = rawHeaders;
    this.resumeUpstream = resume;
    this.resolve(this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    const res = this.res;
    if (res === undefined) {
      if (this.state === ANSWERED) (this.held ??= []).push(chunk);
      return true;
    }
    if (this.state !== DELIVERING) return false;
    // write() says false past the socket's 16 KiB mark, below one 64 KiB read: pausing undici
    // there would pause and resume its parser (and copy the socket's buffer) per chunk.
    if (res.write(chunk) || res.writableLength < WRITE_SLACK_BYTES) return true;
    res.once('drain', (this.onDrain ??= () => this.resumeUpstream?.()));
    return false;
  }

  onComplete(): void {
    if (this.state === DELIVERING) this.finish(true);
    else this.complete = true;
  }

  onError(err: Error): void {
    const state = this.state;
    this.state = DONE;
    if (state === PENDING) this.reject(this.ctl.cancelled ? clientClosed(err) : forwardError(err));
    else if (state === DELIVERING) this.cut();
    // ANSWERED: `deliver` comes next and sees the failure; DONE: discarded or refused already.
    else if (state === ANSWERED) this.failed = true;
  }

  deliver(res: ServerResponse, close: boolean, delivery: Delivery): void {
    this.res = res;
    this.delivery = delivery;
    const headers = forwardResponseHeaders(this.rawHeaders!);
    this.rawHeaders = undefined;
    if (close) headers.push('Connection', 'close');
    res.writeHead(this.statusCode, headers);
    const held = this.held;
    this.held = undefined;
    if (this.failed) {
      this.state = DELIVERING;
      return this.cut();
    }
    if (this.state !== ANSWERED) return; // discarded meanwhile
    this.state = DELIVERING;
    if (held !== undefined) {
      const last = held.length - 1;
      for (let i = 0; i < last; i++) res.write(held[i]);
      // The common small answer: head and whole body in one write.
      if (this.complete) return this.finish(true, held[last]);
      res.write(held[last]);
    } else if (this.complete) {
      return this.finish(true);
    }
  }

  discard(): void {
    if (this.state === DONE) return;
    const delivering = this.state === DELIVERING;
    this.state = DONE;
    this.held = undefined;
    if (!this.complete) this.abortUpstream?.(clientClosed());
    if (delivering) this.cut();
  }

  private finish(ok: boolean, last?: Buffer): void {
    this.state = DONE;
    this.res!.end(last);
    this.delivery!.delivered(ok);
  }

  /** Headers are out: nothing may be written after the fact; cutting the socket tells the client. */
  private cut(): void {
    this.state = DONE;
    this.res!.destroy();
    this.delivery!.delivered(false);
  }
}

function forwardError(err: unknown): SwivelError {
  if (err instanceof SwivelError) return err;
  const code = errnoOf(err);
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') {
    // The client's request itself cannot be forwarded; not the endpoint's fault.
    return new SwivelError('bad_request', 'the request cannot be forwarded (invalid header or method)', { cause: err });
  }
  return upstreamErrorFromSystem(err, isConnectPhaseErrno(code) ? 'connect' : 'handshake');
}
