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
import type { Endpoint } from '../pool/endpoint.js';
import { mergeGeo, type GeoSelection } from '../pool/geo-key.js';
import type { Dialer, DialTrace } from './dialer.js';
import { withoutQuery, type OutcomeHook } from './outcome.js';
import { relay } from './relay.js';
import { parseUsername, type UsernameSelection } from './username.js';
import { deliver, isReplayable, type Forwarder } from './upstream/http-forward.js';
import type { Tunnel } from './upstream/http-connect.js';

export interface HttpProxyOptions {
  host: string;
  port: number;
  dialer: Dialer;
  defaultGeo: GeoSelection;
  auth?: { username: string; password: string } | undefined;
  /** Sends plain (absolute-URI) requests through an endpoint. */
  forward: Forwarder;
  openTunnel: (endpoint: Endpoint, host: string, port: number) => Promise<Tunnel>;
  idleTimeoutMs: number;
  logger?: Logger;
  /** Told of every target reached, so the prober can reuse a known-good one. */
  onSuccess?: (host: string, port: number) => void;
  /** Told how every request and tunnel ended (access log, metrics). */
  onOutcome?: OutcomeHook;
}

const REALM = 'swivel';

/** Build the error proxy-chain writes raw to the client socket: one line, Connection: close. */
export function answerFor(error: SwivelError, attempts: number): RequestError {
  const headers: Record<string, string> = { 'X-Swivel-Error': error.code, 'X-Swivel-Attempts': String(attempts) };
  if (error.code === 'proxy_auth_required') headers['Proxy-Authenticate'] = `Basic realm="${REALM}"`;
  return new RequestError(`${error.message}\n`, error.status, headers);
}

/** `[::1]` → `::1`: URL keeps brackets on IPv6 hostnames, sockets want them bare. */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}

export class HttpProxyListener extends Server {
  private readonly opts: HttpProxyOptions;
  private readonly logger: Logger;

  constructor(options: HttpProxyOptions) {
    super({ host: options.host, port: options.port, authRealm: REALM });
    this.opts = options;
    this.logger = (options.logger ?? silentLogger).child({ component: 'http' });
    this.prepareRequestFunction = (o) => this.authorize(o);
  }

  /**
   * Stop accepting, let requests and tunnels in flight finish for up to `drainMs`, then cut what is
   * left. Idle keep-alive connections are closed at once (node:http does that on close()).
   */
  async drain(drainMs: number): Promise<void> {
    if (drainMs <= 0) return this.close(true);
    const timer = setTimeout(() => this.closeConnections(), drainMs);
    try {
      await this.close(false);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A request node:http could not parse: the same coded, one-line answer as every other refusal. */
  override onClientError(err: NodeJS.ErrnoException, socket: net.Socket): void {
    if (err.code === 'ECONNRESET' || !socket.writable) return;
    this.sendSocketResponse(socket, 400, { 'X-Swivel-Error': 'bad_request', 'X-Swivel-Attempts': '0' }, 'malformed HTTP request\n');
  }

  /** Authentication and selection, from the Proxy-Authorization username (and password). */
  private authorize({ username, password }: PrepareRequestFunctionOpts): PrepareRequestFunctionResult {
    const auth = this.opts.auth;
    let selection: UsernameSelection | undefined;
    try {
      selection = parseUsername(username, auth?.username);
    } catch (err) {
      if (isSwivelError(err)) throw answerFor(err, 0);
      throw err;
    }
    if (auth !== undefined && (selection === undefined || password !== auth.password)) {
      throw answerFor(new SwivelError('proxy_auth_required', 'proxy authentication required: wrong or missing user:pass'), 0);
    }
    return { customTag: selection ?? {} };
  }

  override async onRequest(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const trace: DialTrace = { attempts: 0, endpoint: undefined };
    // Kept here: undici detaches request.socket when it abandons a streamed request body.
    const socket = request.socket;
    const startedAt = performance.now();
    const read0 = socket.bytesRead;
    const written0 = socket.bytesWritten;
    try {
      const handler = await this.prepareRequestHandling(request);
      const selection = handler.customTag as UsernameSelection;
      const url = request.url!;
      const target = handler.trgParsed!;
      const closed = new AbortController();
      response.once('close', () => closed.abort());
      const answer = await this.opts.dialer.dial(
        { geo: mergeGeo(this.opts.defaultGeo, selection), session: selection.session, replayable: isReplayable(request) },
        trace,
        (endpoint) => this.opts.forward(request, url, endpoint, closed.signal),
      );
      this.opts.onSuccess?.(bareHost(target.hostname), Number(target.port) || 80);
      const setupMs = performance.now() - startedAt;
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
      const handler = await this.prepareRequestHandling(request);
      const selection = handler.customTag as UsernameSelection;
      const host = bareHost(handler.trgParsed!.hostname);
      const port = Number(handler.trgParsed!.port);
      const tunnel = await this.opts.dialer.dial(
        { geo: mergeGeo(this.opts.defaultGeo, selection), session: selection.session, replayable: true },
        trace,
        (endpoint) => this.opts.openTunnel(endpoint, host, port),
      );
      if (socket.destroyed) {
        tunnel.socket.destroy();
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
      if (error.code === 'client_closed') return undefined;
      this.logger.debug(
        { code: error.code, attempts: trace.attempts, endpoint: trace.endpoint?.id, method: request.method },
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
