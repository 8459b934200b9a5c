/**
 * The HTTP/CONNECT listener, on node:http directly: its parser (llhttp, strict) reads client
 * requests, and the rest is ours. proxy-chain's Server used to sit here; we replaced both its
 * forwarding handlers long ago (no timeouts, non-standard 59x codes, no retry on another endpoint)
 * and what was left of it on the accept path — a URL per CONNECT, a Map and three listeners per
 * connection, two extra awaits per request — cost more than it did for us (bench/README.md).
 *
 * Per request there is one Exchange object: it is the dial's client cancel, its trace, and what
 * the answer reports delivery to. The connection's one 'close' listener cancels it. New connections
 * go through the accept front (connect-front.ts) first: a CONNECT there skips node:http entirely
 * and goes to connect-tunnel.ts, as does a CONNECT node:http parsed on a kept-alive connection.
 */
import http from 'node:http';
import type net from 'node:net';
import { SwivelError, isSwivelError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Endpoint } from '../pool/endpoint.js';
import type { DialDone, Dialer } from './dialer.js';
import type { Listener } from './listener.js';
import { withoutQuery, type OutcomeHook } from './outcome.js';
import { authorize, type AuthPolicy, type ClientSelection } from './dialects/index.js';
import { isReplayable, type Delivery, type Forwarder, type UpstreamAnswer } from '../upstream/http-forward.js';
import { cancelDial, type DialCancel, type RelayTunnelOpener } from '../upstream/types.js';
import { isLocalExhaustion } from '../errno.js';
import {
  MAX_URI_LENGTH,
  DEFAULT_LIMITS,
  SilentConnectionSweeper,
  applyHttpLimits,
  clientErrorAnswer,
  markRequestSeen,
  requestSeen,
  type ListenerLimits,
} from './limits.js';
import { isRepaired, retryWithFoldedContentLength } from './content-length.js';
import { OPEN_POLICY, checkTarget, hasEmptyAuthority, type TargetPolicy } from './target-policy.js';
import { ConnectFront, type ConnectHead } from './connect-front.js';
import { ConnectTunnels } from './connect-tunnel.js';
import { answerFor, sendRawAnswer } from './http-answer.js';
import { parseProxyAuthorization } from './http-auth.js';
import { Connections, type ClientWork } from './http-connections.js';
import { parsePlainTarget, type Target } from './http-target.js';

export { answerFor, withoutUrls } from './http-answer.js';

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
  openTunnel: RelayTunnelOpener;
  idleTimeoutMs: number;
  logger?: Logger;
  /** Told of every target reached, so the prober can reuse a known-good one. */
  onSuccess?: (host: string, port: number) => void;
  limits?: ListenerLimits;
  targetPolicy?: TargetPolicy;
  /** Told how every request and tunnel ended (access log, metrics). */
  onOutcome?: OutcomeHook;
}

/**
 * One request or tunnel: the dial's client cancel and trace, the plain request's dial outcome
 * (DialDone), and the delivery of its answer.
 */
class Exchange implements DialCancel, ClientWork, Delivery, DialDone<UpstreamAnswer> {
  cancelled = false;
  onCancel: (() => void) | undefined = undefined;
  attempts = 0;
  endpoint: Endpoint | undefined = undefined;
  answer: UpstreamAnswer | undefined = undefined;
  status = 0;
  setupMs = 0;
  /** Plain requests: the target, for onSuccess. */
  target: Target | undefined = undefined;
  response: http.ServerResponse | undefined = undefined;
  readonly startedAt = performance.now();
  readonly read0: number;
  readonly written0: number;

  constructor(
    private readonly listener: HttpProxyListener,
    readonly request: http.IncomingMessage,
    // Kept here: undici detaches request.socket when it abandons a streamed request body.
    readonly socket: net.Socket,
  ) {
    this.read0 = socket.bytesRead;
    this.written0 = socket.bytesWritten;
  }

  clientGone(): void {
    cancelDial(this);
    this.answer?.discard();
  }

  delivered(): void {
    this.listener.delivered(this);
  }

  dialed(answer: UpstreamAnswer): void {
    this.listener.answered(this, answer);
  }

  dialFailed(error: SwivelError): void {
    this.listener.requestFailed(this, error);
  }
}

export class HttpProxyListener implements Listener {
  readonly kind = 'http';
  readonly server: http.Server;
  port: number;
  /** Connections closed at once because --max-connections were open (metrics). */
  droppedConnections = 0;
  private readonly opts: HttpProxyOptions;
  private readonly logger: Logger;
  private readonly limits: ListenerLimits;
  private readonly policy: TargetPolicy;
  private readonly sweeper: SilentConnectionSweeper;
  private readonly connections: Connections;
  private readonly tunnels: ConnectTunnels;
  private draining = false;

  constructor(options: HttpProxyOptions) {
    this.opts = options;
    this.port = options.port;
    this.logger = (options.logger ?? silentLogger).child({ component: 'http' });
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.policy = options.targetPolicy ?? OPEN_POLICY;
    this.sweeper = new SilentConnectionSweeper(this.limits.headerTimeoutMs, (socket) => this.headTimedOut(socket));
    this.connections = new Connections((socket) => this.sweeper.seen(socket));
    this.tunnels = new ConnectTunnels({
      dialer: options.dialer,
      policy: options.policy,
      selectionForPort: options.selectionForPort,
      openTunnel: options.openTunnel,
      idleTimeoutMs: options.idleTimeoutMs,
      targetPolicy: this.policy,
      onSuccess: options.onSuccess,
      onOutcome: options.onOutcome,
      connections: this.connections,
      logger: this.logger,
    });
    const server = (this.server = http.createServer());
    applyHttpLimits(server, this.limits);
    // In front of node:http's own 'connection' listener: CONNECT heads are parsed there, the rest
    // is handed to node:http as accepted.
    new ConnectFront(server, this.limits.maxHeaderSize, {
      accepted: (socket) => this.onConnection(socket),
      connect: (socket, head, early) => this.onFrontConnect(socket, head, early),
      malformed: (socket, err) => this.onClientError(err, socket),
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res));
    server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => void this.onConnect(req, socket, head));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => this.onClientError(err, socket));
    server.on('drop', () => this.droppedConnections++);
    // node:net reports a failed accept (EMFILE/ENFILE) as a server 'error'; unhandled it would
    // kill the process. It is local, says nothing about endpoints, and clears when fds come back.
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (isLocalExhaustion(err.code)) this.opts.dialer.overload.report('accept', err.code);
      else this.logger.error({ err }, 'HTTP listener error');
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  /**
   * Stop accepting, let requests and tunnels in flight finish for up to `drainMs`, then cut what is
   * left. Idle keep-alive connections are closed at once (node:http does that on close()).
   */
  async drain(drainMs: number): Promise<void> {
    this.draining = true;
    try {
      // A listener that only takes connections handed over (session ports) has no server to close.
      if (!this.server.listening) {
        await this.connections.whenEmpty(drainMs);
        this.connections.destroyAll();
        return;
      }
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      if (drainMs <= 0) this.connections.destroyAll();
      const timer = setTimeout(() => this.connections.destroyAll(), drainMs);
      try {
        await closed;
      } finally {
        clearTimeout(timer);
      }
    } finally {
      this.sweeper.stop();
    }
  }

  private onConnection(socket: net.Socket): boolean {
    // nodejs/node#23858: a socket already reset at accept has no address; nothing to serve.
    if (socket.remoteAddress === undefined) {
      socket.destroy();
      return false;
    }
    this.connections.add(socket);
    this.sweeper.accepted(socket);
    return true;
  }

  /** No complete head within --header-timeout: a CONNECT head the front was reading gets 408. */
  private headTimedOut(socket: net.Socket): void {
    if (ConnectFront.parsing(socket) && socket.writable) {
      sendRawAnswer(socket, { status: 408, code: 'header_timeout', attempts: 0, message: 'request head not received in time\n' });
    } else socket.destroy();
  }

  /** A request node:http could not parse: the same coded, one-line answer as every other refusal. */
  private onClientError(err: NodeJS.ErrnoException, socket: net.Socket): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // `Content-Length: 5, 5`: llhttp refuses it, RFC 9112 §6.3 says process it as 5.
    if (retryWithFoldedContentLength(this.server, socket, err, !requestSeen(socket))) {
      // The repaired stream over this socket is a connection of its own now, with its own head
      // timeout; the sweep must not cut the socket under it while its request is served.
      this.sweeper.seen(socket);
      return;
    }
    const { status, code } = clientErrorAnswer(err);
    const message = status === 408 ? 'request head not received in time\n' : status === 400 ? 'malformed HTTP request\n' : `${code}\n`;
    sendRawAnswer(socket, { status, code, attempts: 0, message });
  }

  /** Limits node:http does not enforce with the answer we want: header count (431), URI length (414). */
  private checkHead(request: http.IncomingMessage, socket: net.Socket): void {
    this.sweeper.seen(socket);
    markRequestSeen(socket);
    if (request.rawHeaders.length > this.limits.maxHeaders * 2) {
      throw new SwivelError('request_header_too_large', `more than ${this.limits.maxHeaders} request headers`);
    }
    if (request.url !== undefined && request.url.length > MAX_URI_LENGTH) {
      throw new SwivelError('uri_too_long', `request-target longer than ${MAX_URI_LENGTH} bytes`);
    }
  }

  /** Authentication and selection: the session port's, or from Proxy-Authorization (dialects/). */
  private selectionFor(request: http.IncomingMessage, socket: net.Socket): ClientSelection {
    const fixed = this.opts.selectionForPort?.(socket.localPort ?? 0);
    if (fixed !== undefined) return fixed;
    const { username, password } = parseProxyAuthorization(request.headers['proxy-authorization']);
    return authorize(username, password, this.opts.policy);
  }

  /**
   * A plain request: checks, then the dial, told its outcome through the Exchange (no promise and
   * no await per request: they were a measurable part of it, bench/README.md).
   */
  private onRequest(request: http.IncomingMessage, response: http.ServerResponse): void {
    const socket = request.socket;
    const x = new Exchange(this, request, socket);
    try {
      this.checkHead(request, socket);
      const url = request.url ?? '';
      if (hasEmptyAuthority(url)) throw new SwivelError('bad_target', 'absolute URL without a host');
      const target = parsePlainTarget(url);
      const selection = this.selectionFor(request, socket);
      checkTarget(target.host, target.port, this.policy);
      this.connections.busy(socket, x);
      x.target = target;
      x.response = response;
      const forward = this.opts.forward;
      this.opts.dialer.start(
        {
          geo: selection.geo,
          session: selection.session,
          sessionTtlMs: selection.sessionTtlMs,
          spread: selection.spread,
          replayable: isReplayable(request),
          cancel: x,
        },
        x,
        (endpoint, ctl) => forward(request, url, endpoint, ctl),
        discardAnswer,
        x,
      );
    } catch (err) {
      this.requestFailed(x, err);
    }
  }

  /** The dial of a plain request answered: deliver it. */
  answered(x: Exchange, answer: UpstreamAnswer): void {
    if (x.cancelled) return answer.discard();
    try {
      const target = x.target!;
      this.opts.onSuccess?.(target.host, target.port);
      x.setupMs = performance.now() - x.startedAt;
      x.answer = answer;
      x.status = answer.statusCode;
      // The endpoint counts as in flight until the body is delivered (status page).
      x.endpoint!.inFlight++;
      // During a drain every answer says so, so keep-alive clients reconnect elsewhere; a
      // connection whose head was repaired (content-length.ts) carries that one request only.
      answer.deliver(x.response!, this.draining || isRepaired(x.socket), x);
    } catch (err) {
      this.requestFailed(x, err);
    }
  }

  /** A plain request failed before its answer was under way: answer with its code. */
  requestFailed(x: Exchange, err: unknown): void {
    if (x.answer !== undefined) {
      // deliver() threw (a header node:http refuses): the answer is off, the request failed.
      x.answer.discard();
      x.answer = undefined;
      x.endpoint!.inFlight--;
    }
    this.connections.idle(x.socket, x);
    const answered = this.fail(x.request, x.socket, err, x);
    if (this.opts.onOutcome !== undefined && answered !== undefined) {
      this.report('request', x, answered.code, answered.status, performance.now() - x.startedAt);
    }
  }

  /** The answer is delivered (or cut mid-body): the exchange is over. */
  delivered(x: Exchange): void {
    if (x.answer === undefined) return;
    x.answer = undefined;
    x.endpoint!.inFlight--;
    this.connections.idle(x.socket, x);
    if (this.opts.onOutcome !== undefined) this.report('request', x, 'ok', x.status, x.setupMs);
  }

  /** A CONNECT node:http parsed (one that followed a plain request on a kept-alive connection). */
  private onConnect(request: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    let refusal: unknown;
    try {
      this.checkHead(request, socket);
    } catch (err) {
      refusal = err;
    }
    this.tunnels.open(socket, request.url ?? '', request.headers['proxy-authorization'], head, refusal);
  }

  /** A CONNECT head the accept front parsed: the same checks as checkHead, on what it read. */
  private onFrontConnect(socket: net.Socket, head: ConnectHead, early: Buffer): void {
    this.sweeper.seen(socket);
    markRequestSeen(socket);
    let refusal: SwivelError | undefined;
    // node:http truncates the fields at maxHeadersCount (one more than allowed): the same test.
    if (head.headerCount > this.limits.maxHeaders) {
      refusal = new SwivelError('request_header_too_large', `more than ${this.limits.maxHeaders} request headers`);
    } else if (head.url.length > MAX_URI_LENGTH) {
      refusal = new SwivelError('uri_too_long', `request-target longer than ${MAX_URI_LENGTH} bytes`);
    }
    this.tunnels.open(socket, head.url, head.proxyAuthorization, early, refusal);
  }

  /**
   * Tell the outcome hook how a request or tunnel ended. Byte counts are the socket's since the
   * exchange began (keep-alive sockets carry several requests).
   */
  private report(kind: 'request' | 'tunnel', x: Exchange, code: string, status: number, setupMs: number): void {
    const { request, socket } = x;
    this.opts.onOutcome?.({
      listener: 'http',
      kind,
      pool: x.endpoint?.poolKey,
      endpoint: x.endpoint?.id,
      code,
      status,
      attempts: x.attempts,
      bytesIn: kind === 'tunnel' ? 0 : socket.bytesRead - x.read0,
      bytesOut: kind === 'tunnel' ? 0 : socket.bytesWritten - x.written0,
      durationMs: performance.now() - x.startedAt,
      setupMs,
      method: kind === 'tunnel' ? 'CONNECT' : (request.method ?? ''),
      target: kind === 'tunnel' ? (request.url ?? '') : withoutQuery(request.url ?? ''),
    });
  }

  /**
   * Answer on the client's socket (written raw, Connection: close), whatever state the request is in.
   * Returns the code and status answered (undefined when the client had gone).
   */
  private fail(request: http.IncomingMessage, socket: net.Socket, err: unknown, x: Exchange): { code: string; status: number } | undefined {
    const error = isSwivelError(err) ? err : this.unexpected(err);
    if (error.code === 'client_closed') {
      // A half-open CONNECT socket would otherwise linger: the client is gone, so is the socket.
      socket.destroy();
      return undefined;
    }
    this.logger.debug(
      { code: error.code, attempts: x.attempts, endpoint: x.endpoint?.id, method: request.method, target: request.url },
      'request failed',
    );
    const answer = answerFor(error, x.attempts);
    if (!socket.destroyed && socket.writable) sendRawAnswer(socket, answer);
    return { code: answer.code, status: answer.status };
  }

  private unexpected(err: unknown): SwivelError {
    // Anything that is not a coded error is a bug of ours: log it whole, answer without detail.
    this.logger.error({ err }, 'unexpected error while handling a request');
    return new SwivelError('internal', 'internal error in swivel');
  }
}

/** An answer that arrived after its dial had settled (a hedge that lost by a tick). */
function discardAnswer(answer: UpstreamAnswer): void {
  answer.discard();
}
