/**
 * The SOCKS5 listener: a thin I/O wrapper around the pure negotiation state machine
 * (socks/state.ts). It adds the negotiation timeout, the credential check, and the same dial
 * (rotation, sessions, geo pairs, retries, ejection) as the HTTP listener; failures answer with
 * the reply byte from the one error table (errors.ts).
 */
import net from 'node:net';
import { SwivelError, isSwivelError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Dialer, DialTrace } from './dialer.js';
import type { Listener } from './listener.js';
import type { OutcomeHook } from './outcome.js';
import { relayTunnel } from './tunnel-relay.js';
import { SocksNegotiation, type SocksAction } from './socks/state.js';
import { cancelDial, closeTunnel, type DialCancel, type RelayTunnel, type RelayTunnelOpener } from '../upstream/types.js';
import { authorize, type AuthPolicy, type ClientSelection } from './dialects/index.js';
import { isLocalExhaustion } from '../errno.js';
import { applySocketCap } from './limits.js';
import { OPEN_POLICY, checkTarget, type TargetPolicy } from './target-policy.js';

export interface SocksProxyOptions {
  host: string;
  port: number;
  dialer: Dialer;
  /** Who may use the proxy and how credentials select (dialects/); `challenge` does not apply. */
  policy: AuthPolicy;
  /** Session ports: a fixed selection by the local port the client reached, instead of credentials. */
  selectionForPort?: (localPort: number) => ClientSelection | undefined;
  openTunnel: RelayTunnelOpener;
  negotiationTimeoutMs: number;
  idleTimeoutMs: number;
  logger?: Logger;
  /** Told of every target reached, so the prober can reuse a known-good one. */
  onSuccess?: (host: string, port: number) => void;
  /** 0 = no cap. */
  maxConnections?: number;
  targetPolicy?: TargetPolicy;
  /** Told how every tunnel ended (access log, metrics). */
  onOutcome?: OutcomeHook;
}

export class SocksProxyListener implements Listener {
  readonly kind = 'socks5';
  readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly log: Logger;
  /** No challenge on SOCKS5: a client either offers username/password or cannot (Chromium). */
  private readonly policy: AuthPolicy;

  constructor(private readonly options: SocksProxyOptions) {
    this.log = (options.logger ?? silentLogger).child({ component: 'socks' });
    this.policy = { ...options.policy, challenge: false };
    this.server = net.createServer((socket) => this.onConnection(socket));
    applySocketCap(this.server, options.maxConnections ?? 0);
    this.server.on('drop', () => this.droppedConnections++);
    // A failed accept (EMFILE/ENFILE) is a server 'error': local, never an endpoint's fault.
    this.server.on('error', (err: NodeJS.ErrnoException) => {
      if (isLocalExhaustion(err.code)) options.dialer.overload.report('accept', err.code);
      else this.log.error({ err }, 'SOCKS listener error');
    });
  }

  /** Connections closed at once because --max-connections were open (metrics). */
  droppedConnections = 0;

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

  drain(drainMs: number): Promise<void> {
    return this.close(drainMs);
  }

  /**
   * Stop accepting; let open tunnels finish for up to `drainMs`, then destroy what is left. Waits
   * for every tracked socket, not just the server's own: connections handed over by a session port
   * are not counted by `server.close()`, and were left to their negotiation timeout before.
   */
  close(drainMs = 0): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (drainMs <= 0) {
      for (const s of this.sockets) s.destroy();
      return closed;
    }
    const timer = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, drainMs);
    const emptied = new Promise<void>((resolve) => {
      if (this.sockets.size === 0) resolve();
      else this.onEmptied = resolve;
    });
    return Promise.all([closed, emptied])
      .then(() => undefined)
      .finally(() => {
        clearTimeout(timer);
        this.onEmptied = undefined;
      });
  }

  /** Set while close() waits for the last socket. */
  private onEmptied: (() => void) | undefined;

  /** Take over a connection accepted elsewhere (a session port that saw a SOCKS5 first byte). */
  handle(socket: net.Socket): void {
    this.onConnection(socket);
  }

  private onConnection(socket: net.Socket): void {
    // Attached before anything else: a client resetting mid-handshake must not crash the process.
    socket.on('error', noop);
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (this.sockets.size === 0) this.onEmptied?.();
    });
    socket.setNoDelay(true);

    const fixed = this.options.selectionForPort?.(socket.localPort ?? 0);
    const negotiation = new SocksNegotiation({ requireAuth: fixed === undefined && this.options.policy.auth !== undefined });
    const timer = setTimeout(() => {
      this.log.debug({ remote: socket.remoteAddress }, 'SOCKS negotiation timed out');
      socket.destroy();
    }, this.options.negotiationTimeoutMs);
    timer.unref();
    let tunnel: RelayTunnel | undefined;
    const startedAt = performance.now();
    const trace: DialTrace = { attempts: 0, endpoint: undefined };
    let target = '';
    const report = (code: string, reply: number, setupMs: number): void =>
      this.options.onOutcome?.({
        listener: 'socks',
        kind: 'tunnel',
        pool: trace.endpoint?.poolKey,
        endpoint: trace.endpoint?.id,
        code,
        status: reply,
        attempts: trace.attempts,
        bytesIn: socket.bytesRead,
        bytesOut: socket.bytesWritten,
        durationMs: performance.now() - startedAt,
        setupMs,
        method: 'CONNECT',
        target,
      });

    const run = (actions: SocksAction[]): void => {
      for (const action of actions) {
        switch (action.type) {
          case 'write':
            socket.write(action.data);
            break;
          case 'close':
            clearTimeout(timer);
            if (tunnel !== undefined) closeTunnel(tunnel);
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
            target = action.host.includes(':') ? `[${action.host}]:${action.port}` : `${action.host}:${action.port}`;
            void this.connect(action.host, action.port, fixed ?? action, negotiation, socket, trace).then((result) => {
              if (result instanceof Error) {
                if (result.code !== 'client_closed') report(result.code, result.socksReply, performance.now() - startedAt);
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
            const setupMs = performance.now() - startedAt;
            // An open tunnel keeps its endpoint in flight until it closes (status page).
            const endpoint = trace.endpoint!;
            endpoint.inFlight++;
            relayTunnel(socket, t, action.head, this.options.idleTimeoutMs, () => {
              endpoint.inFlight--;
              report('ok', 0, setupMs);
            });
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

  /** Dial the target; resolves the tunnel or the error to answer with (never rejects). */
  private async connect(
    host: string,
    port: number,
    client: ClientSelection | { username: string | undefined; password: string | undefined },
    negotiation: SocksNegotiation,
    socket: net.Socket,
    trace: DialTrace,
  ): Promise<RelayTunnel | SwivelError> {
    try {
      checkTarget(host, port, this.options.targetPolicy ?? OPEN_POLICY);
      const selection = 'geo' in client ? client : authorize(client.username, client.password, this.policy);
      // The client leaving cancels the dial at once (one listener per connection).
      const cancel: DialCancel = { cancelled: false, onCancel: undefined };
      const onGone = (): void => cancelDial(cancel);
      socket.once('close', onGone);
      const tunnel = await this.options.dialer
        .dial(
          { ...selection, replayable: true, cancel },
          trace,
          (endpoint, ctl) => this.options.openTunnel(endpoint, host, port, ctl),
          closeTunnel,
        )
        .finally(() => socket.off('close', onGone));
      if (socket.destroyed || negotiation.state === 'closed') {
        closeTunnel(tunnel);
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
