/**
 * The SOCKS5 listener: a thin I/O wrapper around the pure negotiation state machine
 * (socks/state.ts). It adds the negotiation timeout, the credential check, and the same dial
 * (rotation, sessions, geo pairs, retries, ejection) as the HTTP listener; failures answer with
 * the reply byte from the one error table (errors.ts).
 */
import net from 'node:net';
import { SwivelError, isSwivelError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Endpoint } from '../pool/endpoint.js';
import type { Dialer, DialTrace } from './dialer.js';
import { relay } from './relay.js';
import { SocksNegotiation, type SocksAction } from './socks/state.js';
import type { Tunnel } from './upstream/handshake.js';
import { authorize, type AuthPolicy, type ClientSelection } from './dialects/index.js';

export interface SocksProxyOptions {
  host: string;
  port: number;
  dialer: Dialer;
  /** Who may use the proxy and how credentials select (dialects/); `challenge` does not apply. */
  policy: AuthPolicy;
  /** Session ports: a fixed selection by the local port the client reached, instead of credentials. */
  selectionForPort?: (localPort: number) => ClientSelection | undefined;
  openTunnel: (endpoint: Endpoint, host: string, port: number) => Promise<Tunnel>;
  negotiationTimeoutMs: number;
  idleTimeoutMs: number;
  logger?: Logger;
  /** Told of every target reached, so the prober can reuse a known-good one. */
  onSuccess?: (host: string, port: number) => void;
}

export class SocksProxyListener {
  readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly log: Logger;

  constructor(private readonly options: SocksProxyOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'socks' });
    this.server = net.createServer((socket) => this.onConnection(socket));
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stop accepting; let open tunnels finish for up to `drainMs`, then destroy what is left. */
  close(drainMs = 0): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (drainMs <= 0) {
      for (const s of this.sockets) s.destroy();
      return closed;
    }
    const timer = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, drainMs);
    return closed.finally(() => clearTimeout(timer));
  }

  /** Take over a connection accepted elsewhere (a session port that saw a SOCKS5 first byte). */
  handle(socket: net.Socket): void {
    this.onConnection(socket);
  }

  private onConnection(socket: net.Socket): void {
    // Attached before anything else: a client resetting mid-handshake must not crash the process.
    socket.on('error', noop);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.setNoDelay(true);

    const fixed = this.options.selectionForPort?.(socket.localPort ?? 0);
    const negotiation = new SocksNegotiation({ requireAuth: fixed === undefined && this.options.policy.auth !== undefined });
    const timer = setTimeout(() => {
      this.log.debug({ remote: socket.remoteAddress }, 'SOCKS negotiation timed out');
      socket.destroy();
    }, this.options.negotiationTimeoutMs);
    timer.unref();
    let tunnel: Tunnel | undefined;

    const run = (actions: SocksAction[]): void => {
      for (const action of actions) {
        switch (action.type) {
          case 'write':
            socket.write(action.data);
            break;
          case 'close':
            clearTimeout(timer);
            tunnel?.socket.destroy();
            this.log.debug({ reason: action.reason }, 'SOCKS connection refused');
            socket.end();
            return;
          case 'authenticate':
            run(negotiation.authResult(this.checkAuth(action.username, action.password)));
            return;
          case 'connect':
            // Negotiation is over; the dial has its own per-step timeouts (connect, response).
            clearTimeout(timer);
            // Hold the client's early data in the socket until the tunnel is up.
            socket.pause();
            void this.connect(action.host, action.port, fixed ?? action, negotiation, socket).then((result) => {
              if (result instanceof Error) {
                run(negotiation.failed(result.socksReply));
                return;
              }
              tunnel = result;
              run(negotiation.connected());
            });
            return;
          case 'pipe': {
            clearTimeout(timer);
            socket.off('data', onData);
            const t = tunnel!;
            if (t.head.length > 0) socket.write(t.head);
            if (action.head.length > 0) t.socket.write(action.head);
            relay(socket, t.socket, this.options.idleTimeoutMs);
            return;
          }
        }
      }
    };
    const onData = (chunk: Buffer): void => run(negotiation.feed(chunk));
    socket.on('data', onData);
  }

  private checkAuth(username: string, password: string): boolean {
    try {
      authorize(username, password, this.policy);
      return true;
    } catch (err) {
      // A malformed selector with the right password is refused at connect with reply 0x02.
      return !isSwivelError(err, 'proxy_auth_required');
    }
  }

  /** No challenge on SOCKS5: a client either offers username/password or cannot (Chromium). */
  private get policy(): AuthPolicy {
    return { ...this.options.policy, challenge: false };
  }

  /** Dial the target; resolves the tunnel or the error to answer with (never rejects). */
  private async connect(
    host: string,
    port: number,
    client: ClientSelection | { username: string | undefined; password: string | undefined },
    negotiation: SocksNegotiation,
    socket: net.Socket,
  ): Promise<Tunnel | SwivelError> {
    const trace: DialTrace = { attempts: 0, endpoint: undefined };
    try {
      const selection = 'geo' in client ? client : authorize(client.username, client.password, this.policy);
      const tunnel = await this.options.dialer.dial({ ...selection, replayable: true }, trace, (endpoint) =>
        this.options.openTunnel(endpoint, host, port),
      );
      if (socket.destroyed || negotiation.state === 'closed') {
        tunnel.socket.destroy();
        return new SwivelError('client_closed', 'client closed the connection');
      }
      this.options.onSuccess?.(host, port);
      return tunnel;
    } catch (err) {
      const error = isSwivelError(err) ? err : new SwivelError('internal', 'internal error in swivel', { cause: err });
      if (error.code === 'internal') this.log.error({ err }, 'unexpected error while handling a SOCKS request');
      else
        this.log.debug({ code: error.code, attempts: trace.attempts, endpoint: trace.endpoint?.id, target: host }, 'SOCKS request failed');
      return error;
    }
  }
}

function noop(): void {}
