/**
 * One request through an upstream HTTP proxy on a kept-alive connection (h1-connection.ts): the
 * request written, the answer read, and the connection handed back or closed. The answer it
 * resolves with is the same object: delivery is h1-answer.ts, the body on its way h1-relay.ts.
 *
 * The request head goes out in one write. The response is read by node's strict llhttp parser;
 * the attempt resolves only after the parser has accepted the head *and* what follows it in the
 * same read, so a framing error found right after the head (Transfer-Encoding with
 * Content-Length) still refuses the answer before anything reaches the client. Body bytes:
 *
 * - Content-Length and close-delimited bodies pass as the upstream sent them. The parser still
 *   runs over every read (it keeps the connection's framing state and finds the message end), but
 *   without its kOnBody callback, so nothing is copied out; our count forwards exactly the
 *   announced bytes.
 * - Any Transfer-Encoding (chunked) is decoded by the parser (kOnBody copies) and re-framed for the
 *   client by node:http's ServerResponse, which also frames every body for HTTP/1.0 clients.
 *
 * The connection goes back to its pool only when the response was read whole, exactly (no byte
 * past its end), the request was sent whole, and the upstream did not ask to close; anything else
 * closes it. A reused connection that fails before any byte of the answer is most likely one the
 * upstream closed while idle: a replayable request is sent again on a new connection, once, and
 * nothing is blamed.
 */
import { SwivelError } from '../errors.js';
import { upstreamErrorFromSystem } from '../errno.js';
import { isParseError, SKIP_BODY, type ParseError } from './h1-parser.js';
import { TIMER_BODY, TIMER_CONNECT, TIMER_HEAD, type ConnectionUser, type UpstreamConnection } from './h1-connection.js';
import type { UpstreamSockets } from './h1-sockets.js';
import { DECODED, framingOf, LENGTH, NO_BODY, UNTIL_CLOSE } from './h1-framing.js';
import { isSharedReadBuffer, readNextInto, takeReadBuffer } from './reused-reads.js';
import { DeliverableAnswer } from './h1-answer.js';
import { ANSWERED, DELIVERING, DONE, PENDING } from './h1-relay.js';
import type { UpstreamAnswer } from './http-forward.js';
import type { DialCancel } from './types.js';
import type { RequestBody } from './h1-request-body.js';

export interface ExchangeSettings {
  sockets: UpstreamSockets;
  responseTimeoutMs: number;
  idleTimeoutMs: number;
}

function clientClosed(cause?: unknown): SwivelError {
  return new SwivelError('client_closed', 'client closed the connection', { cause });
}

function protocolError(err: ParseError | undefined, why: string): SwivelError {
  // A framing the parser refuses is the upstream breaking the stream: the same code undici gave.
  return new SwivelError('upstream_reset', `upstream proxy sent an invalid answer (${why})`, {
    details: { errno: err?.code ?? why },
  });
}

export class Exchange extends DeliverableAnswer implements ConnectionUser {
  private remaining = 0;
  /** The final head was parsed (this read or an earlier one). */
  private headDone = false;
  private keepAlive = false;
  /** Bytes past the response's end, or a second response: the connection is out of step. */
  private overrun = false;
  /** The upstream's `Keep-Alive: timeout=` hint, in ms (Infinity without one). */
  private hintMs = Infinity;
  private received = false;
  private retried = false;
  /** Sent whole (head, and the body when there is one). */
  private requestSent: boolean;

  constructor(
    private readonly settings: ExchangeSettings,
    conn: UpstreamConnection,
    private readonly requestHead: string,
    private readonly isHead: boolean,
    private readonly replayable: boolean,
    private readonly requestBody: RequestBody | undefined,
    private readonly ctl: DialCancel,
    private readonly resolve: (answer: UpstreamAnswer) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    super(conn);
    this.requestSent = requestBody === undefined;
    ctl.onCancel = () => this.cancel();
    this.attach(conn);
  }

  private attach(conn: UpstreamConnection): void {
    this.conn = conn;
    conn.user = this;
    if (conn.connected) this.send();
  }

  private send(): void {
    const conn = this.conn;
    conn.copyBodies(true);
    conn.arm(this.settings.responseTimeoutMs, TIMER_HEAD);
    conn.socket.write(this.requestHead, 'latin1');
    this.requestBody?.start(conn.socket, () => (this.requestSent = true));
  }

  /** The dial was cancelled while this attempt was pending: tear the upstream side down, reject. */
  cancel(): void {
    if (this.state !== PENDING) return;
    this.state = DONE;
    this.drop();
    this.reject(clientClosed());
  }

  // ConnectionUser

  connected(): void {
    if (this.state === PENDING) this.send();
  }

  messageBegin(): void {
    if (this.complete) this.overrun = true;
  }

  head(status: number, fields: string[], upgrade: boolean, keepAlive: boolean): number {
    // 1xx interim answers (103 Early Hints) are not the answer; the final one follows.
    if (this.complete || this.headDone) {
      this.overrun = true;
      return 0;
    }
    if (upgrade) {
      // We never ask for an upgrade; a 101 (or any switch) would leave the stream unframed.
      this.overrun = true;
      return 0;
    }
    if (status < 200) return 0;
    this.headDone = true;
    this.statusCode = status;
    this.fields = fields;
    this.keepAlive = keepAlive;
    const framing = framingOf(fields, status, this.isHead);
    this.framing = framing.kind;
    this.remaining = framing.length;
    this.hintMs = framing.hintMs;
    return this.isHead ? SKIP_BODY : 0;
  }

  body(piece: Buffer): void {
    // A body after our answer's end belongs to a response nobody asked for: never passed on.
    if (this.complete) {
      this.overrun = true;
      return;
    }
    if (this.framing === LENGTH) this.remaining -= piece.length;
    this.piece(piece);
  }

  messageComplete(): void {
    if (this.headDone) this.complete = true;
  }

  read(nread: number, buf: Buffer): boolean {
    this.received = true;
    const conn = this.conn;
    conn.touch();
    if (!this.headDone || this.framing === DECODED || this.framing === NO_BODY) {
      const ret = conn.parser.execute(nread === buf.length ? buf : buf.subarray(0, nread));
      if (isParseError(ret) && !this.complete) {
        this.fail(protocolError(ret, ret.code));
        return false;
      }
      if (this.overrun && !this.complete) {
        this.fail(protocolError(undefined, 'unexpected head'));
        return false;
      }
      if (isParseError(ret)) this.overrun = true;
      if (!this.headDone) return true;
      if (this.state === PENDING) this.answered();
      if (this.state === DONE) return false;
      // From the next read on, Content-Length and close-delimited bodies pass as they are.
      if (!this.complete && (this.framing === LENGTH || this.framing === UNTIL_CLOSE)) {
        conn.copyBodies(false);
        if (nread === buf.length) readNextInto(isSharedReadBuffer(buf) ? takeReadBuffer() : buf);
      }
      return this.afterRead();
    }
    // A raw body read: the parser keeps the framing (and finds the end), our count says how much is body.
    const left = this.remaining;
    const ret = conn.parser.execute(nread === buf.length ? buf : buf.subarray(0, nread));
    let n = nread;
    if (this.framing === LENGTH) {
      if (n > left) {
        n = left;
        this.overrun = true;
      }
      this.remaining = left - n;
      if (this.remaining === 0) this.complete = true;
    } else if (isParseError(ret)) {
      this.fail(protocolError(ret, ret.code));
      return false;
    }
    if (n > 0) this.passRaw(buf, n, nread);
    return this.afterRead();
  }

  ended(): void {
    if (this.retryStale()) return;
    const ret = this.conn.parser.finish();
    this.keepAlive = false;
    if (!isParseError(ret) && this.complete) {
      this.afterRead();
      return;
    }
    this.fail(protocolError(isParseError(ret) ? ret : undefined, this.headDone ? 'body cut short' : 'closed before answering'));
  }

  failed(err: Error | undefined): void {
    if (this.retryStale()) return;
    const phase = this.conn.connected ? 'handshake' : 'connect';
    this.fail(err === undefined ? protocolError(undefined, 'closed') : upstreamErrorFromSystem(err, phase));
  }

  timedOut(phase: number): void {
    const why = phase === TIMER_CONNECT ? 'connect' : phase === TIMER_HEAD ? 'response' : 'idle body';
    this.fail(new SwivelError('upstream_timeout', `upstream proxy timed out (${why})`, { details: { phase: why } }));
  }

  drained(): void {
    this.requestBody?.drained();
  }

  // Inside

  private answered(): void {
    this.ctl.onCancel = undefined;
    this.conn.disarm();
    if (this.statusCode === 407) {
      // RFC 9110 §11.7.1: a 407 is about the hop to the upstream and is never passed to our client.
      this.fail(
        new SwivelError('upstream_auth_failed', 'upstream proxy refused our credentials (407)', {
          details: { endpoint: this.conn.endpoint.id },
        }),
      );
      return;
    }
    this.state = ANSWERED;
    if (!this.complete && this.framing !== NO_BODY) this.conn.arm(this.settings.idleTimeoutMs, TIMER_BODY);
    this.resolve(this);
  }

  /** After each read: the response's end, or whether to keep reading. */
  private afterRead(): boolean {
    if (this.complete) {
      this.finishUpstream();
      if (this.state === DELIVERING) this.finish(undefined);
      return !this.conn.waitingFlush;
    }
    if (this.holdingTooMuch()) this.conn.waitingClient = true;
    return !this.conn.waitingFlush && !this.conn.waitingClient;
  }

  /** The response was read whole: the connection is free, for the pool or to close. */
  private finishUpstream(): void {
    const conn = this.conn;
    if (conn.user !== this) return;
    conn.user = undefined;
    conn.disarm();
    conn.served++;
    this.requestBody?.stop();
    if (this.keepAlive && !this.overrun && this.requestSent && !conn.destroyed) {
      this.settings.sockets.release(conn, this.hintMs);
      // Reading must go on while idle (to see the upstream close), unless an owned buffer is in flight.
      conn.waitingClient = false;
      conn.resumeReading();
    } else {
      conn.destroy();
    }
  }

  /**
   * A reused connection that failed before any byte of the answer: most likely closed by the
   * upstream while idle (a race with its keep-alive timeout), not the endpoint failing.
   */
  private retryStale(): boolean {
    if (this.state !== PENDING || this.received || this.retried || this.conn.served === 0 || !this.replayable) return false;
    this.retried = true;
    this.conn.user = undefined;
    this.conn.destroy();
    this.attach(this.settings.sockets.connect(this.conn.endpoint));
    return true;
  }

  /** The upstream side is of no further use: close it. */
  protected drop(): void {
    this.requestBody?.stop();
    if (this.conn.user === this) this.conn.destroy();
  }

  private fail(err: SwivelError): void {
    const state = this.state;
    this.drop();
    if (state === PENDING) {
      this.state = DONE;
      this.reject(this.ctl.cancelled ? clientClosed(err) : err);
    } else if (state === ANSWERED) {
      // `deliver` comes next and cuts: the head is out by then.
      this.failedEarly = true;
      this.held = undefined;
    } else if (state === DELIVERING) {
      this.cut();
    }
  }
}
