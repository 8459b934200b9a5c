/**
 * TCP connections to upstream proxies on libuv handles directly (node's tcp_wrap binding, the
 * layer net.Socket is built on), for tunnels: the one place where swivel goes under node:net.
 *
 * Why: a CONNECT tunnel is short and small (a handshake, one TLS exchange, a close), and per
 * tunnel net.Socket's machinery — a Duplex with its two states, listeners, nextTick-deferred
 * 'end'/'finish'/'close', a timer hook per read — cost more user CPU than everything else swivel
 * does for it. Measured with bench:compare's CONNECT load (bench/README.md, "Tunnels on libuv
 * handles"): a minimal net.Socket relay spends ~110–130 µs of user CPU per tunnel, the same relay
 * on handles ~25–40 µs. The accepted client stays a net.Socket (node:http, drain and the limits
 * need one); only the upstream side, which swivel creates, is a bare handle.
 *
 * What it does is what a tunnel needs and no more: connect to an IP literal, write Buffers and
 * strings (counting what is still in flight, for backpressure), read into reused buffers (the
 * same shared buffer and spare list as reused-reads.ts; a sink may move a connection to an owned
 * buffer for a burst), FIN, close. Every failure is reported once to the sink as an errno name.
 *
 * The binding is not a public API: it is looked up once, checked member by member, and when
 * anything is missing (another runtime, a future Node, --pending-deprecation turned into a throw)
 * `rawTcpAvailable()` is false and tunnels use net.Socket (handshake.ts, relay.ts) as before.
 */
import { getSystemErrorName } from 'node:util';
import { sharedReadBuffer } from './reused-reads.js';

/** What reads and failures of a connection go to (the handshake, then the relay). */
export interface RawSink {
  /** `buf[0..nread)` is valid only during the call (unless `buf` is an owned buffer). False stops reading. */
  onRead(nread: number, buf: Buffer): boolean;
  /** The peer sent FIN. */
  onEnd(): void;
  /** A read, write or connect failed; `code` is the errno name (ECONNRESET, …). Reported once. */
  onError(code: string): void;
}

const kOwner = Symbol('swivel.rawTcp');
/** libuv's UV_EOF. */
const UV_EOF = -4095;

interface Handle {
  onread: (this: Handle) => Buffer | undefined;
  connect(req: object, address: string, port: number): number;
  connect6(req: object, address: string, port: number): number;
  setNoDelay(on: boolean): number;
  useUserBuffer(buf: Buffer): void;
  readStart(): number;
  readStop(): number;
  writeBuffer(req: object, buf: Buffer): number;
  writeLatin1String(req: object, s: string): number;
  shutdown(req: object): number;
  close(cb?: () => void): void;
  [kOwner]?: RawTcp;
}

interface Binding {
  TCP: new (type: number) => Handle;
  TCPConnectWrap: new () => ConnectReq;
  WriteWrap: new () => WriteReq;
  ShutdownWrap: new () => ShutdownReq;
  SOCKET: number;
  state: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

interface ConnectReq {
  oncomplete: (this: ConnectReq, status: number) => void;
  conn?: RawTcp;
  address?: string;
  port?: number;
}
interface WriteReq {
  handle: Handle;
  oncomplete: (this: WriteReq, status: number) => void;
  async: boolean;
  /** Keeps the written bytes alive while libuv still points at them. */
  buffer?: Buffer | undefined;
  bytes: number;
}
interface ShutdownReq {
  handle: Handle;
  oncomplete: (this: ShutdownReq, status: number) => void;
}

function loadBinding(): Binding | undefined {
  try {
    // Looked up through a variable so bundlers and type checkers leave it alone.
    const binding = (process as unknown as { binding(name: string): Record<string, unknown> }).binding;
    const tcp = binding('tcp_wrap') as { TCP?: unknown; TCPConnectWrap?: unknown; constants?: { SOCKET?: unknown } };
    const stream = binding('stream_wrap') as Record<string, unknown>;
    const TCP = tcp.TCP as Binding['TCP'] | undefined;
    const proto = TCP?.prototype as Partial<Record<keyof Handle, unknown>> | undefined;
    const methods: Array<keyof Handle> = [
      'connect',
      'connect6',
      'setNoDelay',
      'useUserBuffer',
      'readStart',
      'readStop',
      'writeBuffer',
      'writeLatin1String',
      'shutdown',
      'close',
    ];
    if (TCP === undefined || proto === undefined || methods.some((m) => typeof proto[m] !== 'function')) return undefined;
    const state = stream.streamBaseState;
    if (
      typeof tcp.TCPConnectWrap !== 'function' ||
      typeof stream.WriteWrap !== 'function' ||
      typeof stream.ShutdownWrap !== 'function' ||
      typeof tcp.constants?.SOCKET !== 'number' ||
      !(state instanceof Int32Array) ||
      typeof stream.kReadBytesOrError !== 'number' ||
      typeof stream.kLastWriteWasAsync !== 'number'
    ) {
      return undefined;
    }
    return {
      TCP,
      TCPConnectWrap: tcp.TCPConnectWrap as Binding['TCPConnectWrap'],
      WriteWrap: stream.WriteWrap as Binding['WriteWrap'],
      ShutdownWrap: stream.ShutdownWrap as Binding['ShutdownWrap'],
      SOCKET: tcp.constants.SOCKET,
      state,
      kReadBytesOrError: stream.kReadBytesOrError,
      kLastWriteWasAsync: stream.kLastWriteWasAsync,
    };
  } catch {
    return undefined;
  }
}

let binding: Binding | null | undefined;

function theBinding(): Binding | undefined {
  if (binding === undefined) binding = loadBinding() ?? null;
  return binding ?? undefined;
}

/** Whether this runtime has the handles swivel needs (else tunnels go through net.Socket). */
export function rawTcpAvailable(): boolean {
  return theBinding() !== undefined;
}

export function errnoName(status: number): string {
  try {
    return getSystemErrorName(status);
  } catch {
    return `errno ${status}`;
  }
}

/** Shared by every handle: `this` is the handle; the return value is the buffer for the next read. */
function onHandleRead(this: Handle): Buffer | undefined {
  const conn = this[kOwner];
  if (conn === undefined) return undefined;
  return conn.handleRead();
}

function onConnectDone(this: ConnectReq, status: number): void {
  const conn = this.conn!;
  this.conn = undefined;
  conn.connected(status);
}

function onWriteDone(this: WriteReq, status: number): void {
  this.handle[kOwner]?.writeDone(this, status);
}

function onShutdownDone(this: ShutdownReq): void {
  // Nothing to do: a failed FIN shows up as a read or write error, or not at all (peer gone).
}

function noop(): void {}

export class RawTcp {
  private readonly b: Binding;
  private readonly handle: Handle;
  private sink: RawSink | undefined = undefined;
  /** Where the next read lands: the shared buffer, or an owned one a sink asked for. */
  private buffer: Buffer = sharedReadBuffer();
  private reading = false;
  private onConnect: ((status: number) => void) | undefined = undefined;
  private onFlush: (() => void) | undefined = undefined;
  closed = false;
  /** A failure was reported (no more reads or writes). */
  failed = false;
  bytesRead = 0;
  bytesWritten = 0;
  /** Bytes handed to libuv that the kernel has not taken yet. */
  pendingBytes = 0;

  constructor() {
    const b = theBinding();
    if (b === undefined) throw new Error('raw TCP handles are not available in this runtime');
    this.b = b;
    this.handle = new b.TCP(b.SOCKET);
    this.handle[kOwner] = this;
    this.handle.onread = onHandleRead;
  }

  /** Connect to an IP literal; `done` gets 0 or a negative errno. Returns undefined, or the errno name of a synchronous failure (EMFILE…). */
  connect(address: string, port: number, done: (status: number) => void): string | undefined {
    const req = new this.b.TCPConnectWrap();
    req.oncomplete = onConnectDone;
    req.conn = this;
    req.address = address;
    req.port = port;
    this.onConnect = done;
    this.handle.setNoDelay(true);
    const err = address.indexOf(':') === -1 ? this.handle.connect(req, address, port) : this.handle.connect6(req, address, port);
    if (err === 0) return undefined;
    this.onConnect = undefined;
    return errnoName(err);
  }

  /** @internal the connect request completed. */
  connected(status: number): void {
    const done = this.onConnect;
    this.onConnect = undefined;
    if (this.closed || done === undefined) return;
    if (status === 0) this.handle.useUserBuffer(this.buffer);
    done(status);
  }

  setSink(sink: RawSink | undefined): void {
    this.sink = sink;
  }

  readStart(): void {
    if (this.reading || this.closed || this.failed) return;
    this.reading = true;
    const err = this.handle.readStart();
    if (err !== 0) this.fail(err);
  }

  /** Reading again after a sink said stop (the relay's pump, once the peer drained). */
  resume(): void {
    this.readStart();
  }

  /** Closed or failed: nothing more will be read or written. */
  get destroyed(): boolean {
    return this.closed || this.failed;
  }

  readStop(): void {
    if (!this.reading || this.closed) return;
    this.reading = false;
    this.handle.readStop();
  }

  /** From inside onRead: the next read lands in `buf` (an owned buffer) instead of the shared one. */
  readNextInto(buf: Buffer): void {
    this.buffer = buf;
  }

  /** @internal one read (or EOF, or an error) from libuv. */
  handleRead(): Buffer | undefined {
    const nread = this.b.state[this.b.kReadBytesOrError]!;
    if (nread > 0) {
      const buf = this.buffer;
      // As with net's onread: each read lands in the shared buffer unless the sink asks otherwise.
      this.buffer = sharedReadBuffer();
      this.bytesRead += nread;
      const sink = this.sink;
      if (sink === undefined || !sink.onRead(nread, buf)) this.readStop();
      // The sink may have asked for another buffer; libuv takes it from our return value.
      return this.buffer === buf ? undefined : this.buffer;
    }
    if (nread === 0) return undefined;
    this.readStop();
    if (nread === UV_EOF) this.sink?.onEnd();
    else this.fail(nread);
    return undefined;
  }

  /** Queue `data`; false when it is still in flight (pendingBytes > 0) and the caller should wait for onFlushed. */
  write(data: Buffer | string): boolean {
    if (this.closed || this.failed) return false;
    const b = this.b;
    const req = new b.WriteWrap();
    req.handle = this.handle;
    req.oncomplete = onWriteDone;
    req.async = false;
    const isString = typeof data === 'string';
    const err = isString ? this.handle.writeLatin1String(req, data) : this.handle.writeBuffer(req, data);
    if (err !== 0) {
      this.fail(err);
      return false;
    }
    this.bytesWritten += data.length;
    if (b.state[b.kLastWriteWasAsync] !== 0) {
      // libuv points at these bytes until the write completes (node copies strings itself).
      if (!isString) req.buffer = data;
      req.bytes = data.length;
      this.pendingBytes += data.length;
      return false;
    }
    return this.pendingBytes === 0;
  }

  /** @internal an asynchronous write completed. */
  writeDone(req: WriteReq, status: number): void {
    req.buffer = undefined;
    this.pendingBytes -= req.bytes;
    if (status < 0) {
      this.fail(status);
      return;
    }
    if (this.pendingBytes === 0) {
      const flushed = this.onFlush;
      if (flushed !== undefined) flushed();
    }
  }

  /** Told whenever every queued write has left (after a write() that returned false). */
  onFlushed(fn: (() => void) | undefined): void {
    this.onFlush = fn;
  }

  /** FIN after what is queued (libuv orders it behind pending writes). */
  shutdown(): void {
    if (this.closed || this.failed) return;
    const req = new this.b.ShutdownWrap();
    req.handle = this.handle;
    req.oncomplete = onShutdownDone;
    const err = this.handle.shutdown(req);
    if (err !== 0) this.fail(err);
  }

  /** Close the handle (idempotent); nothing is reported to the sink after this. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reading = false;
    this.sink = undefined;
    this.onFlush = undefined;
    this.onConnect = undefined;
    this.handle.close(noop);
  }

  private fail(status: number): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    const sink = this.sink;
    // Reported from a fresh stack: fail() can run inside a caller's write().
    if (sink !== undefined) queueMicrotask(() => (this.closed ? undefined : sink.onError(errnoName(status))));
  }
}
