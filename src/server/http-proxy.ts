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
import type { Dialer, DialTrace } from './dialer.js';
import { relay } from './relay.js';
import { authorize, type AuthPolicy, type ClientSelection } from './dialects/index.js';
import { deliver, isReplayable, type Forwarder } from './upstream/http-forward.js';
import type { Tunnel } from './upstream/http-connect.js';

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
  openTunnel: (endpoint: Endpoint, host: string, port: number) => Promise<Tunnel>;
  idleTimeoutMs: number;
  logger?: Logger;
  /** Told of every target reached, so the prober can reuse a known-good one. */
  onSuccess?: (host: string, port: number) => void;
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
    if (err.code === 'ECONNRESET' || !socket.writable) return;
    this.sendSocketResponse(socket, 400, { 'X-Swivel-Error': 'bad_request', 'X-Swivel-Attempts': '0' }, 'malformed HTTP request\n');
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
    try {
      const handler = await this.prepareRequestHandling(request);
      const selection = handler.customTag as ClientSelection;
      const url = request.url!;
      const target = handler.trgParsed!;
      const closed = new AbortController();
      response.once('close', () => closed.abort());
      const answer = await this.opts.dialer.dial({ ...selection, replayable: isReplayable(request) }, trace, (endpoint) =>
        this.opts.forward(request, url, endpoint, closed.signal),
      );
      this.opts.onSuccess?.(bareHost(target.hostname), Number(target.port) || 80);
      await deliver(answer, response);
    } catch (err) {
      this.fail(request, socket, err, trace);
    }
  }

  override async onConnect(request: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    const trace: DialTrace = { attempts: 0, endpoint: undefined };
    try {
      const handler = await this.prepareRequestHandling(request);
      const selection = handler.customTag as ClientSelection;
      const host = bareHost(handler.trgParsed!.hostname);
      const port = Number(handler.trgParsed!.port);
      const tunnel = await this.opts.dialer.dial({ ...selection, replayable: true }, trace, (endpoint) =>
        this.opts.openTunnel(endpoint, host, port),
      );
      if (socket.destroyed) {
        tunnel.socket.destroy();
        return;
      }
      this.opts.onSuccess?.(host, port);
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (tunnel.head.length > 0) socket.write(tunnel.head);
      if (head.length > 0) tunnel.socket.write(head);
      relay(socket, tunnel.socket, this.opts.idleTimeoutMs);
    } catch (err) {
      this.fail(request, socket, err, trace);
    }
  }

  /** Answer on the client's socket (written raw, Connection: close), whatever state the request is in. */
  private fail(request: http.IncomingMessage, socket: net.Socket, err: unknown, trace: DialTrace): void {
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
      if (error.code === 'client_closed') return;
      this.logger.debug(
        { code: error.code, attempts: trace.attempts, endpoint: trace.endpoint?.id, method: request.method, target: request.url },
        'request failed',
      );
      answer = answerFor(error, trace.attempts);
    }
    if (socket.destroyed || !socket.writable) return;
    this.sendSocketResponse(socket, answer.statusCode, answer.headers, answer.message);
  }

  private unexpected(err: unknown): SwivelError {
    // proxy-chain's own 400s (unparsable target, non-http scheme) arrive as RequestError above;
    // anything else is a bug of ours: log it whole, answer without detail.
    this.logger.error({ err }, 'unexpected error while handling a request');
    return new SwivelError('internal', 'internal error in swivel');
  }
}
