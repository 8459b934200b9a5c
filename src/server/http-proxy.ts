/**
 * The HTTP/CONNECT listener. proxy-chain's Server does what it does well — accepting sockets,
 * tracking them for shutdown, parsing Proxy-Authorization, answering client errors — and we
 * replace its two forwarding handlers, because its own forwarding sets no timeouts, turns upstream
 * failures into non-standard 59x codes and cannot retry on another endpoint (see its statuses.ts).
 */
import type http from 'node:http';
import type net from 'node:net';
import { RequestError, Server, type PrepareRequestFunctionOpts, type PrepareRequestFunctionResult } from 'proxy-chain';
import { SwivelError, isSwivelError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Dialer, DialTrace } from './dialer.js';
import type { Listener } from './listener.js';
import { withoutQuery, type OutcomeHook } from './outcome.js';
import { relay } from './relay.js';
import { authorize, type AuthPolicy, type ClientSelection } from './dialects/index.js';
import { deliver, isReplayable, type Forwarder, type UpstreamAnswer } from '../upstream/http-forward.js';
import { cancelDial, type DialCancel, type Tunnel, type TunnelOpener } from '../upstream/types.js';
import { isLocalExhaustion } from '../errno.js';
import {
  MAX_URI_LENGTH,
  DEFAULT_LIMITS,
  applyHttpLimits,
  clientErrorAnswer,
  markRequestSeen,
  requestSeen,
  type ListenerLimits,
} from './limits.js';
import { isRepaired, retryWithFoldedContentLength } from './content-length.js';
import { OPEN_POLICY, checkTarget, hasEmptyAuthority, type TargetPolicy } from './target-policy.js';

export interface HttpProxyOptions {
  host: string;
  port: number;
  dialer: Dialer;
  /** Who may use the proxy and how credentials select (dialects/). */
  policy: AuthPolicy;
  /** Session ports: a fixed selection by the local port the client reached, instead of credentials. */
  selectionForPort?: (localPort: number) => ClientSelection | undefined;
  /** Sends plain (absolute-URI) requests through an endpoint. */
  forward: Forwarder;
  openTunnel: TunnelOpener;
  idleTimeoutMs: number;
  logger?: Logger;
  /** Told of every target reached, so the prober can reuse a known-good one. */
  onSuccess?: (host: string, port: number) => void;
  limits?: ListenerLimits;
  targetPolicy?: TargetPolicy;
  /** Told how every request and tunnel ended (access log, metrics). */
  onOutcome?: OutcomeHook;
}

const REALM = 'swivel';

/** Build the error proxy-chain writes raw to the client socket: one line, Connection: close. */
export function answerFor(error: SwivelError, attempts: number): RequestError {
  const headers: Record<string, string> = { 'X-Swivel-Error': error.code, 'X-Swivel-Attempts': String(attempts) };
  if (error.code === 'proxy_auth_required') headers['Proxy-Authenticate'] = `Basic realm="${REALM}"`;
  return new RequestError(`${withoutUrls(error.message)}\n`, error.status, headers);
}

/** A client learns why, never where: the provider's URL (even redacted) stays in swivel's log. */
export function withoutUrls(message: string): string {
  return message.replace(/\bhttps?:\/\/[^\s]*[^\s.,;)]/gi, 'the provider API');
}

/** `[::1]` → `::1`: URL keeps brackets on IPv6 hostnames, sockets want them bare. */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}

export class HttpProxyListener extends Server implements Listener {
  readonly kind = 'http';
  private readonly opts: HttpProxyOptions;
  private readonly logger: Logger;
  private readonly limits: ListenerLimits;
  private readonly policy: TargetPolicy;
  private draining = false;
  /** Connections closed at once because --max-connections were open (metrics). */
  droppedConnections = 0;

  constructor(options: HttpProxyOptions) {
    super({ host: options.host, port: options.port, authRealm: REALM });
    this.opts = options;
    this.logger = (options.logger ?? silentLogger).child({ component: 'http' });
    this.prepareRequestFunction = (o) => this.authorize(o);
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.policy = options.targetPolicy ?? OPEN_POLICY;
    applyHttpLimits(this.server, this.limits);
    this.server.on('drop', () => this.droppedConnections++);
    // node:net reports a failed accept (EMFILE/ENFILE) as a server 'error'; unhandled it would
    // kill the process. It is local, says nothing about endpoints, and clears when fds come back.
    this.server.on('error', (err: NodeJS.ErrnoException) => {
      if (isLocalExhaustion(err.code)) this.opts.dialer.overload.report('accept', err.code);
      else this.logger.error({ err }, 'HTTP listener error');
    });
  }

  /**
   * Stop accepting, let requests and tunnels in flight finish for up to `drainMs`, then cut what is
   * left. Idle keep-alive connections are closed at once (node:http does that on close()).
   */
  async drain(drainMs: number): Promise<void> {
    this.draining = true;
    // A listener that only takes connections handed over (session ports) has no server to close:
    // wait for its connections, bounded, then cut what is left.
    if (!this.server.listening) return this.drainHandedOver(drainMs);
    if (drainMs <= 0) return this.close(true);
    const timer = setTimeout(() => this.closeConnections(), drainMs);
    try {
      await this.close(false);
    } finally {
      clearTimeout(timer);
    }
  }

  private async drainHandedOver(drainMs: number): Promise<void> {
    if (drainMs > 0 && this.getConnectionIds().length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, drainMs);
        // proxy-chain emits connectionClosed before it forgets the connection: look a tick later.
        const onClosed = (): void =>
          queueMicrotask(() => {
            if (this.getConnectionIds().length === 0) done();
          });
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.on('connectionClosed', onClosed);
        void Promise.resolve().then(onClosed);
      }).finally(() => this.removeAllListeners('connectionClosed'));
    }
    this.closeConnections();
  }

  /** A request node:http could not parse: the same coded, one-line answer as every other refusal. */
  override onClientError(err: NodeJS.ErrnoException, socket: net.Socket): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // `Content-Length: 5, 5`: llhttp refuses it, RFC 9112 §6.3 says process it as 5.
    if (retryWithFoldedContentLength(this.server, socket, err, !requestSeen(socket))) return;
    const { status, code } = clientErrorAnswer(err);
    const text = status === 408 ? 'request head not received in time\n' : status === 400 ? 'malformed HTTP request\n' : `${code}\n`;
    this.sendSocketResponse(socket, status, { 'X-Swivel-Error': code, 'X-Swivel-Attempts': '0' }, text);
  }

  /** Limits node:http does not enforce with the answer we want: header count (431), URI length (414). */
  private checkHead(request: http.IncomingMessage): void {
    markRequestSeen(request.socket);
    if (request.rawHeaders.length > this.limits.maxHeaders * 2) {
      throw new SwivelError('request_header_too_large', `more than ${this.limits.maxHeaders} request headers`);
    }
    if (request.url !== undefined && request.url.length > MAX_URI_LENGTH) {
      throw new SwivelError('uri_too_long', `request-target longer than ${MAX_URI_LENGTH} bytes`);
    }
  }

  /** Authentication and selection, from the Proxy-Authorization username and password. */
  private authorize({ request, username, password }: PrepareRequestFunctionOpts): PrepareRequestFunctionResult {
    const fixed = this.opts.selectionForPort?.(request.socket.localPort ?? 0);
    if (fixed !== undefined) return { customTag: fixed };
    const sent = request.headers['proxy-authorization'] !== undefined;
    try {
      return { customTag: authorize(sent ? username : undefined, password, this.opts.policy) };
    } catch (err) {
      if (isSwivelError(err)) throw answerFor(err, 0);
      throw err;
    }
  }

  override async onRequest(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const trace: DialTrace = { attempts: 0, endpoint: undefined };
    // Kept here: undici detaches request.socket when it abandons a streamed request body.
    const socket = request.socket;
    const startedAt = performance.now();
    const read0 = socket.bytesRead;
    const written0 = socket.bytesWritten;
    try {
      this.checkHead(request);
      if (hasEmptyAuthority(request.url ?? '')) throw new SwivelError('bad_target', 'absolute URL without a host');
      const handler = await this.prepareRequestHandling(request);
      const selection = handler.customTag as ClientSelection;
      const url = request.url!;
      const target = handler.trgParsed!;
      const targetPort = target.port === '' ? 80 : Number(target.port);
      checkTarget(bareHost(target.hostname), targetPort, this.policy);
      // The client leaving cancels the dial (one listener per request; each attempt's own
      // cancellation is the dialer's).
      const cancel: DialCancel = { cancelled: false, onCancel: undefined };
      response.once('close', () => cancelDial(cancel));
      const answer = await this.opts.dialer.dial(
        { ...selection, replayable: isReplayable(request), cancel },
        trace,
        (endpoint, ctl) => {
          const aborted = new AbortController();
          ctl.onCancel = () => aborted.abort();
          return this.opts.forward(request, url, endpoint, aborted.signal);
        },
        discardAnswer,
      );
      this.opts.onSuccess?.(bareHost(target.hostname), targetPort);
      const setupMs = performance.now() - startedAt;
      // During a drain every answer says so, so keep-alive clients reconnect elsewhere.
      // A connection whose head was repaired (content-length.ts) carries that one request only.
      if (this.draining || isRepaired(socket)) response.setHeader('connection', 'close');
      // The endpoint counts as in flight until the body is delivered (status page).
      const endpoint = trace.endpoint!;
      endpoint.inFlight++;
      try {
        await deliver(answer, response);
      } finally {
        endpoint.inFlight--;
      }
      if (this.opts.onOutcome !== undefined) {
        this.report('request', request, socket, trace, startedAt, read0, written0, 'ok', answer.statusCode, setupMs);
      }
    } catch (err) {
      const answered = this.fail(request, socket, err, trace);
      if (this.opts.onOutcome !== undefined && answered !== undefined) {
        const tookMs = performance.now() - startedAt;
        this.report('request', request, socket, trace, startedAt, read0, written0, answered.code, answered.status, tookMs);
      }
    }
  }

  override async onConnect(request: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    const trace: DialTrace = { attempts: 0, endpoint: undefined };
    const startedAt = performance.now();
    try {
      this.checkHead(request);
      const handler = await this.prepareRequestHandling(request);
      const selection = handler.customTag as ClientSelection;
      const host = bareHost(handler.trgParsed!.hostname);
      const port = handler.trgParsed!.port === '' ? NaN : Number(handler.trgParsed!.port);
      checkTarget(host, port, this.policy);
      // The client leaving cancels the dial at once (one listener per tunnel, not per attempt).
      const cancel: DialCancel = { cancelled: false, onCancel: undefined };
      const onGone = (): void => cancelDial(cancel);
      // node:http keeps CONNECT sockets half-open: a client leaving shows as 'end' first.
      socket.once('end', onGone);
      socket.once('close', onGone);
      const tunnel = await this.opts.dialer
        .dial(
          { ...selection, replayable: true, cancel },
          trace,
          (endpoint, ctl) => this.opts.openTunnel(endpoint, host, port, ctl),
          destroyTunnel,
        )
        .finally(() => {
          socket.off('end', onGone);
          socket.off('close', onGone);
        });
      if (socket.destroyed || cancel.cancelled) {
        tunnel.socket.destroy();
        socket.destroy();
        return;
      }
      this.opts.onSuccess?.(host, port);
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (tunnel.head.length > 0) socket.write(tunnel.head);
      if (head.length > 0) tunnel.socket.write(head);
      const setupMs = performance.now() - startedAt;
      // An open tunnel keeps its endpoint in flight until it closes (status page).
      const endpoint = trace.endpoint!;
      endpoint.inFlight++;
      relay(socket, tunnel.socket, this.opts.idleTimeoutMs, () => {
        endpoint.inFlight--;
        if (this.opts.onOutcome !== undefined) this.report('tunnel', request, socket, trace, startedAt, 0, 0, 'ok', 200, setupMs);
      });
    } catch (err) {
      const answered = this.fail(request, socket, err, trace);
      if (this.opts.onOutcome !== undefined && answered !== undefined) {
        const tookMs = performance.now() - startedAt;
        this.report('tunnel', request, socket, trace, startedAt, 0, 0, answered.code, answered.status, tookMs);
      }
    }
  }

  /**
   * Tell the outcome hook how a request or tunnel ended. A method, not a closure per request, so a
   * swivel without admin or access log allocates nothing for it. Byte counts are the socket's
   * since `read0`/`written0` (keep-alive sockets carry several requests).
   */
  private report(
    kind: 'request' | 'tunnel',
    request: http.IncomingMessage,
    socket: net.Socket,
    trace: DialTrace,
    startedAt: number,
    read0: number,
    written0: number,
    code: string,
    status: number,
    setupMs: number,
  ): void {
    this.opts.onOutcome?.({
      listener: 'http',
      kind,
      pool: trace.endpoint?.poolKey,
      endpoint: trace.endpoint?.id,
      code,
      status,
      attempts: trace.attempts,
      bytesIn: socket.bytesRead - read0,
      bytesOut: socket.bytesWritten - written0,
      durationMs: performance.now() - startedAt,
      setupMs,
      method: kind === 'tunnel' ? 'CONNECT' : (request.method ?? ''),
      target: kind === 'tunnel' ? (request.url ?? '') : withoutQuery(request.url ?? ''),
    });
  }

  /**
   * Answer on the client's socket (written raw, Connection: close), whatever state the request is in.
   * Returns the code and status answered (undefined when the client had gone).
   */
  private fail(
    request: http.IncomingMessage,
    socket: net.Socket,
    err: unknown,
    trace: DialTrace,
  ): { code: string; status: number } | undefined {
    let answer: RequestError;
    if (err instanceof RequestError) {
      // proxy-chain's own refusals (unparsable target, https:// without CONNECT) get our header too.
      answer = err;
      answer.headers = {
        'X-Swivel-Error': err.statusCode === 407 ? 'proxy_auth_required' : 'bad_request',
        'X-Swivel-Attempts': '0',
        ...err.headers,
      };
    } else {
      const error = isSwivelError(err) ? err : this.unexpected(err);
      if (error.code === 'client_closed') {
        // A half-open CONNECT socket would otherwise linger: the client is gone, so is the socket.
        socket.destroy();
        return undefined;
      }
      this.logger.debug(
        { code: error.code, attempts: trace.attempts, endpoint: trace.endpoint?.id, method: request.method, target: request.url },
        'request failed',
      );
      answer = answerFor(error, trace.attempts);
    }
    const code = answer.headers?.['X-Swivel-Error'] ?? 'bad_request';
    if (socket.destroyed || !socket.writable) return { code, status: answer.statusCode };
    this.sendSocketResponse(socket, answer.statusCode, answer.headers, answer.message);
    return { code, status: answer.statusCode };
  }

  private unexpected(err: unknown): SwivelError {
    // proxy-chain's own 400s (unparsable target, non-http scheme) arrive as RequestError above;
    // anything else is a bug of ours: log it whole, answer without detail.
    this.logger.error({ err }, 'unexpected error while handling a request');
    return new SwivelError('internal', 'internal error in swivel');
  }
}

/** An answer that arrived after its dial had settled (a hedge that lost by a tick). */
function discardAnswer(answer: UpstreamAnswer): void {
  answer.body.on('error', () => {});
  answer.body.destroy();
}

function destroyTunnel(tunnel: Tunnel): void {
  tunnel.socket.destroy();
}
