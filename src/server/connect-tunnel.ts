/**
 * A CONNECT tunnel on the HTTP listener, from a parsed head to the relay: authentication and
 * selection (the session port's, or Proxy-Authorization through dialects/), the target policy,
 * the dial through the tunnel opener, `200 Connection Established`, the bytes either side sent
 * ahead (the client's after its head, the upstream's after its reply), the relay, and the outcome
 * report. Heads come from the accept front (connect-front.ts) or, for a CONNECT that follows a
 * plain request on a kept-alive connection, from node:http's 'connect' event.
 *
 * Per tunnel there is one ConnectExchange: the dial's client cancel and trace, the connection's
 * current work (its one 'close' listener cancels the dial), and the relay's close hook.
 */
import type net from 'node:net';
import { SwivelError, isSwivelError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Endpoint } from '../pool/endpoint.js';
import type { DialDone, Dialer } from './dialer.js';
import type { OutcomeHook } from './outcome.js';
import { relayTunnel } from './tunnel-relay.js';
import { authorize, type AuthPolicy, type ClientSelection } from './dialects/index.js';
import type { DialCancel, RelayTunnel, RelayTunnelOpener } from '../upstream/types.js';
import { cancelDial, closeTunnel } from '../upstream/types.js';
import { checkTarget, type TargetPolicy } from './target-policy.js';
import { answerFor, sendRawAnswer } from './http-answer.js';
import { parseProxyAuthorization } from './http-auth.js';
import type { ClientWork, Connections } from './http-connections.js';
import { parseConnectTarget } from './http-target.js';

export interface ConnectTunnelOptions {
  dialer: Dialer;
  policy: AuthPolicy;
  selectionForPort?: ((localPort: number) => ClientSelection | undefined) | undefined;
  openTunnel: RelayTunnelOpener;
  idleTimeoutMs: number;
  targetPolicy: TargetPolicy;
  onSuccess?: ((host: string, port: number) => void) | undefined;
  onOutcome?: OutcomeHook | undefined;
  connections: Connections;
  logger: Logger;
}

const ESTABLISHED = Buffer.from('HTTP/1.1 200 Connection Established\r\n\r\n');

/** One tunnel: the dial's cancel, trace and outcome (no promise), the connection's work, the relay's close hook. */
class ConnectExchange implements DialCancel, ClientWork, DialDone<RelayTunnel> {
  cancelled = false;
  onCancel: (() => void) | undefined = undefined;
  attempts = 0;
  endpoint: Endpoint | undefined = undefined;
  setupMs = 0;
  host = '';
  port = 0;
  readonly startedAt = performance.now();
  /** Client bytes before the tunnel's (the head and what came before it on this connection). */
  readonly read0: number;
  written0: number;

  constructor(
    readonly tunnels: ConnectTunnels,
    readonly socket: net.Socket,
    readonly target: string,
    readonly early: Buffer,
  ) {
    this.read0 = socket.bytesRead - early.length;
    this.written0 = socket.bytesWritten;
  }

  clientGone(): void {
    cancelDial(this);
  }

  dialed(tunnel: RelayTunnel): void {
    this.tunnels.established(this, tunnel);
  }

  dialFailed(error: SwivelError): void {
    this.socket.removeListener('end', clientEnded);
    this.tunnels.failed(this, error);
  }

  /** The relay closed both sides. */
  closed(): void {
    this.endpoint!.inFlight--;
    this.tunnels.report(this, 'ok', 200, this.setupMs);
  }
}

export class ConnectTunnels {
  constructor(private readonly o: ConnectTunnelOptions) {}

  /**
   * Open the tunnel `target` asks for. `head` is how the head went: undefined when it passed the
   * listener's head checks, else the refusal to answer with.
   */
  open(socket: net.Socket, target: string, proxyAuthorization: string | undefined, early: Buffer, refusal?: unknown): void {
    const x = new ConnectExchange(this, socket, target, early);
    let selection: ClientSelection;
    try {
      if (refusal !== undefined) throw refusal;
      const { host, port } = parseConnectTarget(target);
      x.host = host;
      x.port = port;
      selection = this.selectionFor(socket, proxyAuthorization);
      checkTarget(host, port, this.o.targetPolicy);
    } catch (err) {
      this.failed(x, err);
      return;
    }
    // The client leaving cancels the dial at once: its connection's one 'close' listener, and
    // 'end', as the listener keeps CONNECT sockets half-open and a client leaving shows as 'end' first.
    this.o.connections.busy(socket, x);
    socket.once('end', clientEnded);
    const { host, port } = x;
    const openTunnel = this.o.openTunnel;
    this.o.dialer.start(
      {
        geo: selection.geo,
        session: selection.session,
        sessionTtlMs: selection.sessionTtlMs,
        spread: selection.spread,
        replayable: true,
        cancel: x,
      },
      x,
      (endpoint, ctl) => openTunnel(endpoint, host, port, ctl),
      closeTunnel,
      x,
    );
  }

  established(x: ConnectExchange, tunnel: RelayTunnel): void {
    const socket = x.socket;
    socket.removeListener('end', clientEnded);
    this.o.connections.idle(socket, x);
    if (socket.destroyed || x.cancelled) {
      closeTunnel(tunnel);
      socket.destroy();
      return;
    }
    this.o.onSuccess?.(x.host, x.port);
    socket.write(tunnel.head.length > 0 ? Buffer.concat([ESTABLISHED, tunnel.head]) : ESTABLISHED);
    x.written0 += ESTABLISHED.length;
    x.setupMs = performance.now() - x.startedAt;
    // An open tunnel keeps its endpoint in flight until it closes (status page).
    x.endpoint!.inFlight++;
    relayTunnel(socket, tunnel, x.early, this.o.idleTimeoutMs, x);
  }

  failed(x: ConnectExchange, err: unknown): void {
    this.o.connections.idle(x.socket, x);
    const answered = this.fail(x, err);
    if (answered !== undefined) this.report(x, answered.code, answered.status, performance.now() - x.startedAt);
  }

  /** Authentication and selection: the session port's, or from Proxy-Authorization (dialects/). */
  private selectionFor(socket: net.Socket, proxyAuthorization: string | undefined): ClientSelection {
    const fixed = this.o.selectionForPort?.(socket.localPort ?? 0);
    if (fixed !== undefined) return fixed;
    const { username, password } = parseProxyAuthorization(proxyAuthorization);
    return authorize(username, password, this.o.policy);
  }

  /** Tell the outcome hook how a tunnel ended; byte counts are the tunnel's, client side. */
  report(x: ConnectExchange, code: string, status: number, setupMs: number): void {
    const hook = this.o.onOutcome;
    if (hook === undefined) return;
    const { socket } = x;
    hook({
      listener: 'http',
      kind: 'tunnel',
      pool: x.endpoint?.poolKey,
      endpoint: x.endpoint?.id,
      code,
      status,
      attempts: x.attempts,
      bytesIn: code === 'ok' ? socket.bytesRead - x.read0 : 0,
      bytesOut: code === 'ok' ? socket.bytesWritten - x.written0 : 0,
      durationMs: performance.now() - x.startedAt,
      setupMs,
      method: 'CONNECT',
      target: x.target,
    });
  }

  /**
   * Answer on the client's socket (written raw, Connection: close). Returns the code and status
   * answered (undefined when the client had gone).
   */
  private fail(x: ConnectExchange, err: unknown): { code: string; status: number } | undefined {
    const socket = x.socket;
    const error = isSwivelError(err) ? err : this.unexpected(err);
    if (error.code === 'client_closed') {
      // A half-open CONNECT socket would otherwise linger: the client is gone, so is the socket.
      socket.destroy();
      return undefined;
    }
    this.o.logger.debug(
      { code: error.code, attempts: x.attempts, endpoint: x.endpoint?.id, method: 'CONNECT', target: x.target },
      'request failed',
    );
    const answer = answerFor(error, x.attempts);
    if (!socket.destroyed && socket.writable) sendRawAnswer(socket, answer);
    return { code: answer.code, status: answer.status };
  }

  private unexpected(err: unknown): SwivelError {
    // Anything that is not a coded error is a bug of ours: log it whole, answer without detail.
    this.o.logger.error({ err }, 'unexpected error while handling a request');
    return new SwivelError('internal', 'internal error in swivel');
  }
}

/** Shared by every CONNECT socket while its tunnel is dialled: `this` is the socket. */
function clientEnded(this: net.Socket): void {
  this.destroy();
}
