/**
 * A simulated upstream node that speaks SOCKS5 (RFC 1928, with RFC 1929 username/password) instead of HTTP: the
 * same shape as {@link SimUpstream} so the provider can list it and tests can break it, but the server side of the
 * protocol `--upstream-protocol socks5` talks. The negotiation is swivel's own pure state machine
 * (server/socks/state.ts), so the sim exercises the client half against the server half of one codec.
 *
 * Like a real SOCKS proxy it resolves domain targets (ATYP 3) itself, and every outgoing connection leaves from
 * `localAddress`, so the echo target reports which upstream carried the traffic.
 */
import type { Socket } from 'node:net';
import { SocksReply } from '../errors.js';
import { Method, encodeAuthReply, encodeMethodSelection } from '../protocol/socks5.js';
import { SocksNegotiation, type SocksAction } from '../server/socks/state.js';
import { UpstreamControls } from './controls.js';
import { dial, splice } from './tunnel.js';
import type { SimUpstream, UpstreamMode, UpstreamOptions } from './upstream.js';

/** Options as for the HTTP upstream; `auth` is checked with RFC 1929 username/password. */
export type SocksUpstreamOptions = UpstreamOptions;

/**
 * Modes, read when a connection's first bytes arrive:
 * - `ok`: negotiates and relays.
 * - `refuse`: the listener is closed (ECONNREFUSED) and open connections are destroyed; any other mode listens
 *   again on the same port.
 * - `reset-before-headers`: reads the greeting, then resets the connection (RST) without answering.
 * - `reset-after-headers`: replies success, relays the first half of the target's first chunk, then cuts.
 * - `auth-407`: the SOCKS counterpart of a 407: RFC 1929 status `01 01` when the client offers username/password,
 *   RFC 1928 §3 X'FF' (no acceptable method) when it does not; then closes.
 * - `silent`: reads and never answers; the socket stays open until close().
 * - `slow-start`: waits `delayMs` (default 2000) before negotiating normally.
 * - `reject-connect`: negotiates, then answers CONNECT with REP X'02' (not allowed by ruleset).
 *
 * Only CONNECT exists in SOCKS5: there are no absolute-URI requests, so `requests` stays 0.
 */
export async function startSocksUpstream(opts: SocksUpstreamOptions): Promise<SimUpstream> {
  const { auth, localAddress } = opts;
  const controls = new UpstreamControls();

  /** A connection the mode let through: the mode in force when its first bytes arrive decides. */
  function serve(socket: Socket): void {
    socket.setNoDelay(true);
    socket.once('data', (first: Buffer) => {
      const current = controls.mode;
      if (current === 'silent') {
        socket.resume(); // keep reading (and dropping) so the peer never blocks on a full window
        return;
      }
      if (current === 'slow-start') {
        socket.pause();
        controls.afterSlowStart(() => {
          if (socket.destroyed) return;
          negotiate(socket, first, 'ok');
          socket.resume();
        });
        return;
      }
      negotiate(socket, first, current);
    });
  }

  function negotiate(client: Socket, first: Buffer, current: UpstreamMode): void {
    if (current === 'reset-before-headers') {
      client.resetAndDestroy();
      return;
    }
    if (current === 'auth-407') {
      refuseAuth(client, first);
      return;
    }
    const negotiation = new SocksNegotiation({ requireAuth: auth !== undefined });
    let target: Socket | undefined;

    const run = (actions: SocksAction[]): void => {
      for (const action of actions) {
        switch (action.type) {
          case 'write':
            client.write(action.data);
            break;
          case 'close':
            // end() after the writes above, so a failure reply reaches the client (RFC 1928 §6). Resumed so the
            // peer's FIN is read even after a failed CONNECT paused the socket; otherwise it lingers half-closed.
            client.end();
            client.resume();
            return;
          case 'authenticate':
            run(negotiation.authResult(action.username === auth?.username && action.password === auth.password));
            return;
          case 'connect':
            controls.connects++;
            // The state machine keeps early data until connected(); pausing keeps the rest in the socket.
            client.pause();
            if (current === 'reject-connect') {
              run(negotiation.failed(SocksReply.NOT_ALLOWED));
              return;
            }
            // A domain name is resolved by dial(), i.e. by the upstream, as real SOCKS proxies do (ATYP 3).
            target = dial({
              host: action.host,
              port: action.port,
              localAddress,
              track: (socket) => controls.track(socket),
              onConnect: () => run(negotiation.connected()),
              onFail: (err) => run(negotiation.failed(replyForErrno(err.code))),
              onLost: () => client.destroy(),
            });
            // The client leaving tears the tunnel down, during the dial too.
            client.once('close', () => target?.destroy());
            return;
          case 'pipe':
            client.off('data', onData);
            client.on('error', () => target?.destroy());
            // pipe() resumes the client that was paused while the target was dialled.
            splice(client, target!, action.head, current === 'reset-after-headers');
            return;
        }
      }
    };
    const onData = (chunk: Buffer): void => run(negotiation.feed(chunk));
    client.on('data', onData);
    onData(first);
  }

  /** `auth-407`: refuse whatever the client offers, in the form its next read expects. */
  function refuseAuth(client: Socket, first: Buffer): void {
    // VER | NMETHODS | METHODS: a greeting that offers USER_PASS gets it, and then a failed status.
    const nMethods = first[1] ?? 0;
    const offersUserPass = first[0] === 0x05 && first.subarray(2, 2 + nMethods).includes(Method.USER_PASS);
    if (!offersUserPass) {
      client.end(encodeMethodSelection(Method.NO_ACCEPTABLE));
      return;
    }
    client.write(encodeMethodSelection(Method.USER_PASS));
    // RFC 1929 §2: after a failure STATUS the server MUST close the connection.
    client.once('data', () => client.end(encodeAuthReply(false)));
  }

  return controls.start(opts, serve);
}

/** RFC 1928 §6 reply for a failed outgoing connect, from the system error, as a real SOCKS server maps it. */
function replyForErrno(errno: string | undefined): number {
  switch (errno) {
    case 'ECONNREFUSED':
      return SocksReply.CONNECTION_REFUSED;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
      return SocksReply.HOST_UNREACHABLE;
    // EAFNOSUPPORT/EINVAL: an IPv6 target from an IPv4 localAddress, no route between the families.
    case 'ENETUNREACH':
    case 'EAFNOSUPPORT':
    case 'EINVAL':
      return SocksReply.NETWORK_UNREACHABLE;
    case 'ETIMEDOUT':
      return SocksReply.TTL_EXPIRED;
    default:
      return SocksReply.GENERAL_FAILURE;
  }
}
