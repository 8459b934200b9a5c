/**
 * handshake.ts's runner on a raw handle (raw-tcp.ts): connect with a timeout, the protocol's first
 * write, its replies read in place from the reused buffer (a reply split across reads is copied
 * out), a timeout on the reply. The same protocols (http-connect.ts, socks-connect.ts), the same
 * coded errors; the handle is closed on every failure path. On success reading is stopped, the
 * sink cleared, for the relay (server/raw-relay.ts) to take over.
 */
import { SwivelError } from '../errors.js';
import { upstreamErrorFromSystem } from '../errno.js';
import type { Endpoint } from '../pool/endpoint.js';
import type { HandshakeProtocol } from './handshake.js';
import { RawTcp, errnoName, type RawSink } from './raw-tcp.js';
import type { DialCancel, RawTunnel, TunnelTimeouts } from './types.js';

const EMPTY = Buffer.alloc(0);

/** A system error as node would raise it, for errno.ts. */
function systemError(code: string, syscall: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${syscall} ${code}`);
  err.code = code;
  err.syscall = syscall;
  return err;
}

class RawHandshake implements RawSink {
  private connected = false;
  private settled = false;
  private timer: NodeJS.Timeout;
  /** A reply split across reads, copied out of the reused buffer. */
  private pending: Buffer | undefined = undefined;
  private readonly conn = new RawTcp();

  constructor(
    private readonly endpoint: Endpoint,
    private readonly timeouts: TunnelTimeouts,
    private readonly cancel: DialCancel | undefined,
    private readonly protocol: HandshakeProtocol,
    private readonly resolve: (t: RawTunnel) => void,
    private readonly reject: (err: SwivelError) => void,
  ) {
    this.timer = setTimeout(() => this.timedOut(), timeouts.connectTimeoutMs);
    if (cancel !== undefined) cancel.onCancel = () => this.finish(this.error('client_closed', 'client closed the connection'));
    this.conn.setSink(this);
    const failed = this.conn.connect(endpoint.address ?? endpoint.host, endpoint.port, (status) => this.tcpConnected(status));
    // EMFILE and friends surface synchronously from socket creation.
    if (failed !== undefined) this.finish(upstreamErrorFromSystem(systemError(failed, 'connect'), 'connect'));
  }

  private error(code: 'client_closed' | 'upstream_reset' | 'upstream_protocol', message: string): SwivelError {
    return new SwivelError(code, message, { details: { endpoint: this.endpoint.id } });
  }

  private tcpConnected(status: number): void {
    if (this.settled) return;
    if (status !== 0) {
      this.finish(upstreamErrorFromSystem(systemError(errnoName(status), 'connect'), 'connect'));
      return;
    }
    this.connected = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.timedOut(), this.timeouts.responseTimeoutMs);
    this.protocol.start(this.conn);
    this.conn.readStart();
  }

  private timedOut(): void {
    const connected = this.connected;
    this.finish(
      new SwivelError('upstream_timeout', connected ? 'upstream proxy did not answer in time' : 'timed out connecting to upstream proxy', {
        details: { endpoint: this.endpoint.id, phase: connected ? 'response' : 'connect' },
      }),
    );
  }

  onRead(nread: number, buf: Buffer): boolean {
    if (this.settled) return false;
    const chunk = buf.subarray(0, nread);
    let received = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      const r = this.protocol.step(received, this.conn);
      if (r.kind === 'more') break;
      if (r.kind === 'failed') {
        this.finish(r.error);
        return false;
      }
      if (r.kind === 'established') {
        // Bytes behind the reply start the tunnelled stream; copied, since `buf` is reused.
        this.finish(undefined, r.consumed === received.length ? EMPTY : Buffer.from(received.subarray(r.consumed)));
        return false;
      }
      received = received.subarray(r.consumed);
    }
    if (received.length > this.protocol.maxReplyBytes) {
      this.finish(this.error('upstream_protocol', 'upstream proxy sent an oversized reply'));
      return false;
    }
    this.pending = received.length === 0 ? undefined : Buffer.from(received);
    return true;
  }

  onEnd(): void {
    this.finish(this.error('upstream_reset', 'upstream proxy closed the connection during the handshake'));
  }

  onError(code: string): void {
    this.finish(upstreamErrorFromSystem(systemError(code, 'read'), this.connected ? 'handshake' : 'connect'));
  }

  private finish(err: SwivelError | undefined, head?: Buffer): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    if (this.cancel !== undefined) this.cancel.onCancel = undefined;
    this.conn.setSink(undefined);
    if (err !== undefined) {
      this.conn.close();
      this.reject(err);
      return;
    }
    this.conn.readStop();
    this.resolve({ raw: this.conn, head: head ?? EMPTY });
  }
}

export function runRawHandshake(
  endpoint: Endpoint,
  timeouts: TunnelTimeouts,
  cancel: DialCancel | undefined,
  protocol: HandshakeProtocol,
): Promise<RawTunnel> {
  return new Promise<RawTunnel>((resolve, reject) => {
    if (cancel?.cancelled === true) {
      reject(new SwivelError('client_closed', 'client closed the connection'));
      return;
    }
    new RawHandshake(endpoint, timeouts, cancel, protocol, resolve, reject);
  });
}
