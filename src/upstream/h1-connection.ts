/**
 * One kept-alive TCP connection to an upstream HTTP proxy: the socket (reading into reused
 * buffers, upstream/reused-reads.ts), node's strict response parser (h1-parser.ts) and one timer,
 * all made once per connection and reused by every request it carries. Nothing here is allocated
 * per request: the socket's listeners and the parser's callbacks are shared module functions that
 * hand each event to the request running on the connection (`user`, an h1-exchange.ts Exchange).
 *
 * The timer is not re-armed per request: each phase only moves a deadline (one Date.now()), and
 * the timer, when it fires, either acts on a deadline that has passed or sleeps until the one now
 * set. Most requests end long before it fires, so a request costs no timer-list work at all.
 */
import type net from 'node:net';
import type { Endpoint } from '../pool/endpoint.js';
import { connectReusingReads, setReadSink, type ReadSink } from './reused-reads.js';
import {
  kOnBody,
  kOnHeaders,
  kOnMessageBegin,
  kOnHeadersComplete,
  kOnMessageComplete,
  responseParser,
  type NativeParser,
} from './h1-parser.js';

/** What a connection tells the request running on it. */
export interface ConnectionUser {
  connected(): void;
  /** kOnMessageBegin: the first byte of a response (interim or final). */
  messageBegin(): void;
  /** A read; `buf[0..nread)` is valid during the call only. False stops reading. */
  read(nread: number, buf: Buffer): boolean;
  /** kOnHeadersComplete: a head (interim or final); returns what llhttp should do with the body. */
  head(status: number, fields: string[], upgrade: boolean, keepAlive: boolean): number;
  /** kOnBody (only while the parser's kOnBody is set): a copy of one body piece. */
  body(piece: Buffer): void;
  messageComplete(): void;
  /** The upstream's FIN. */
  ended(): void;
  /** The socket failed or closed under the request; `err` undefined for a close without error. */
  failed(err: Error | undefined): void;
  timedOut(phase: number): void;
  /** The socket's write buffer emptied (request body backpressure). */
  drained(): void;
}

export const TIMER_NONE = 0;
export const TIMER_CONNECT = 1;
export const TIMER_HEAD = 2;
export const TIMER_BODY = 3;

const kConnection = Symbol('swivel.h1Connection');
type OwnedParser = NativeParser & { [kConnection]?: UpstreamConnection };
type OwnedSocket = net.Socket & { [kConnection]?: UpstreamConnection };

export interface ConnectionHost {
  /** The connection closed (idle or not): forget it. */
  closed(conn: UpstreamConnection): void;
}

export class UpstreamConnection implements ReadSink {
  readonly socket: net.Socket;
  readonly parser: NativeParser;
  user: ConnectionUser | undefined = undefined;
  connected = false;
  /** Responses fully read on this connection: a failure on a reused one may just be a stale socket. */
  served = 0;
  /** clock time it went idle, and how long it may stay so (the upstream's Keep-Alive hint, capped). */
  idleSince = 0;
  idleMs = 0;
  /** Head fields flushed by the parser before the head was complete (more than 32 fields). */
  pendingFields: string[] | undefined = undefined;
  /** Reading is stopped until a write from an owned read buffer leaves, or the client drains. */
  waitingFlush = false;
  waitingClient = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires next (Date.now() ms), 0 when it is not armed. */
  private timerAt = 0;
  private timerPhase = TIMER_NONE;
  private deadline = 0;
  private phaseMs = 0;
  private closedOnce = false;
  /** Bound once: what a flushed write from an owned buffer calls. */
  readonly flushed = (): void => {
    if (!this.waitingFlush) return;
    this.waitingFlush = false;
    this.resumeReading();
  };

  constructor(
    readonly endpoint: Endpoint,
    private readonly host: ConnectionHost,
    connectTimeoutMs: number,
  ) {
    const address = endpoint.address ?? endpoint.host;
    const socket: OwnedSocket = (this.socket = connectReusingReads({ host: address, port: endpoint.port, noDelay: true }));
    socket[kConnection] = this;
    setReadSink(socket, this);
    socket.on('connect', onConnect);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('drain', onDrain);
    const parser: OwnedParser = (this.parser = responseParser());
    parser[kConnection] = this;
    parser[kOnMessageBegin] = onMessageBegin;
    parser[kOnHeaders] = onHeaders;
    parser[kOnHeadersComplete] = onHeadersComplete;
    parser[kOnMessageComplete] = onMessageComplete;
    parser[kOnBody] = onBody;
    this.arm(connectTimeoutMs, TIMER_CONNECT);
  }

  get destroyed(): boolean {
    return this.closedOnce || this.socket.destroyed;
  }

  onRead(nread: number, buf: Buffer): boolean {
    const user = this.user;
    if (user === undefined) {
      // Bytes on an idle connection answer nothing we asked: the stream is out of step.
      this.destroy();
      return false;
    }
    return user.read(nread, buf);
  }

  /** Body pieces copied out by the parser (chunked and other re-framed bodies) or not (raw). */
  copyBodies(on: boolean): void {
    this.parser[kOnBody] = on ? onBody : undefined;
  }

  /** Start `phase`, which times out `ms` from now. */
  arm(ms: number, phase: number): void {
    const now = Date.now();
    this.timerPhase = phase;
    this.phaseMs = ms;
    this.deadline = now + ms;
    // An armed timer that fires no later than the deadline will look again then.
    if (this.timerAt === 0 || this.timerAt > this.deadline) this.schedule(now, ms);
  }

  /** The phase is over; the timer may still fire, and then finds nothing to do. */
  disarm(): void {
    this.timerPhase = TIMER_NONE;
  }

  /** Body bytes moved: the idle deadline starts again. */
  touch(): void {
    if (this.timerPhase === TIMER_BODY) this.deadline = Date.now() + this.phaseMs;
  }

  private schedule(now: number, ms: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = now + ms;
    this.timer = setTimeout(onTimer, ms, this);
    this.timer.unref();
  }

  resumeReading(): void {
    if (!this.waitingFlush && !this.waitingClient && !this.socket.destroyed) this.socket.resume();
  }

  destroy(): void {
    this.user = undefined;
    this.socket.destroy();
    this.release();
  }

  /** Once, when the socket is gone: the timer, the parser (after its stack unwinds) and the host's lists. */
  private release(): void {
    if (this.closedOnce) return;
    this.closedOnce = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // The parser may be running right now (this close came from inside one of its callbacks).
    setImmediate(closeParser, this.parser);
    this.host.closed(this);
  }

  onTimer(): void {
    this.timerAt = 0;
    const phase = this.timerPhase;
    if (phase === TIMER_NONE || this.closedOnce) return;
    const now = Date.now();
    if (now < this.deadline) return this.schedule(now, this.deadline - now);
    this.timerPhase = TIMER_NONE;
    this.user?.timedOut(phase);
  }

  onSocketConnect(): void {
    this.connected = true;
    this.disarm();
    this.user?.connected();
  }

  onSocketClose(): void {
    const user = this.user;
    this.user = undefined;
    this.release();
    user?.failed(undefined);
  }
}

function closeParser(parser: OwnedParser): void {
  parser[kConnection] = undefined;
  parser.close();
}

function onTimer(conn: UpstreamConnection): void {
  conn.onTimer();
}

function onConnect(this: OwnedSocket): void {
  this[kConnection]!.onSocketConnect();
}

function onEnd(this: OwnedSocket): void {
  const conn = this[kConnection]!;
  if (conn.user === undefined) conn.destroy();
  else conn.user.ended();
}

function onError(this: OwnedSocket, err: Error): void {
  const conn = this[kConnection]!;
  const user = conn.user;
  conn.user = undefined;
  conn.destroy();
  user?.failed(err);
}

function onClose(this: OwnedSocket): void {
  this[kConnection]!.onSocketClose();
}

function onDrain(this: OwnedSocket): void {
  this[kConnection]!.user?.drained();
}

function onMessageBegin(this: OwnedParser): void {
  this[kConnection]?.user?.messageBegin();
}

function onHeaders(this: OwnedParser, fields: string[]): void {
  const conn = this[kConnection];
  if (conn === undefined) return;
  if (conn.pendingFields === undefined) conn.pendingFields = fields;
  else for (const f of fields) conn.pendingFields.push(f);
}

function onHeadersComplete(
  this: OwnedParser,
  _major: number,
  _minor: number,
  fields: string[] | undefined,
  _method: unknown,
  _url: unknown,
  status: number,
  _message: string,
  upgrade: boolean,
  keepAlive: boolean,
): number {
  const conn = this[kConnection];
  if (conn === undefined) return 0;
  let all = fields;
  if (conn.pendingFields !== undefined) {
    all = conn.pendingFields;
    conn.pendingFields = undefined;
    if (fields !== undefined) for (const f of fields) all.push(f);
  }
  return conn.user?.head(status, all ?? [], upgrade, keepAlive) ?? 0;
}

function onBody(this: OwnedParser, piece: Buffer): void {
  this[kConnection]?.user?.body(piece);
}

function onMessageComplete(this: OwnedParser): void {
  this[kConnection]?.user?.messageComplete();
}
