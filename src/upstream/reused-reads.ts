/**
 * Upstream sockets that read into buffers swivel reuses (net.Socket's `onread`) instead of a new
 * 64 KiB allocation per read: on bulk tunnels those per-chunk buffers were most of the CPU once the
 * heap had grown (V8 major GCs driven by external memory). The bytes of a read go to the socket's
 * sink (the handshake, then the relay); a socket without a sink behaves as a plain stream, each
 * chunk copied out and pushed, so code that reads it with 'data' events (tunnel-forward's node:http
 * client, tests) needs no change.
 *
 * Buffers. Every socket reads into one shared buffer (REST) unless its sink asked for another:
 * REST is reused by the next read of any socket, so a sink must be done with its bytes (copied
 * them, or written them out synchronously) when it returns. A sink that sees a full REST read (a
 * burst) may take an owned buffer from the spare list and ask for the next reads to land there
 * (readNextInto); it then writes straight from it and stops reading while a write from it is in
 * flight. So 10 000 idle tunnels share one 64 KiB buffer, and a bulk tunnel allocates nothing per
 * chunk.
 */
import net from 'node:net';

export const READ_BUFFER_BYTES = 64 * 1024;

/** Receives the bytes of each read: `buf[0..nread)` is valid only during the call. False stops reading. */
export interface ReadSink {
  onRead(nread: number, buf: Buffer): boolean;
}

const kSink = Symbol('swivel.readSink');
/** `null`: reads into reused buffers, no sink (plain stream). Absent: an ordinary socket. */
type ReusingSocket = net.Socket & { [kSink]?: ReadSink | null };

const REST = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
/** Where the read after the current one lands; Node asks (nextReadBuffer) right after the sink returns. */
let nextBuffer: Buffer = REST;
const spare: Buffer[] = [];
/** Owned buffers kept for reuse; more than this many bulk tunnels at once allocate (and GC) the rest. */
const MAX_SPARE = 32;

function nextReadBuffer(): Buffer {
  const buf = nextBuffer;
  nextBuffer = REST;
  return buf;
}

function onRead(this: ReusingSocket, nread: number, buf: Uint8Array): boolean {
  const sink = this[kSink];
  if (sink) return sink.onRead(nread, buf as Buffer);
  // Plain stream behaviour: the chunk must outlive this call, so it is copied.
  const chunk = Buffer.allocUnsafe(nread);
  (buf as Buffer).copy(chunk, 0, 0, nread);
  return this.push(chunk);
}

/** net.connect, reading into reused buffers. */
export function connectReusingReads(options: net.TcpNetConnectOpts): net.Socket {
  const socket: ReusingSocket = net.connect({ ...options, onread: { buffer: nextReadBuffer, callback: onRead } });
  socket[kSink] = null;
  return socket;
}

export function readsIntoReusedBuffers(socket: net.Socket): boolean {
  return (socket as ReusingSocket)[kSink] !== undefined;
}

/** Route the socket's reads to `sink`, or (null) back to plain 'data' events. */
export function setReadSink(socket: net.Socket, sink: ReadSink | null): void {
  (socket as ReusingSocket)[kSink] = sink;
}

/** From inside onRead: the next read of this socket lands in `buf` (an owned buffer). */
export function readNextInto(buf: Buffer): void {
  nextBuffer = buf;
}

/** The buffer every socket reads into unless its sink moved it to an owned one (raw-tcp.ts too). */
export function sharedReadBuffer(): Buffer {
  return REST;
}

/** True for the shared buffer: its bytes are gone once onRead returns. */
export function isSharedReadBuffer(buf: Buffer): boolean {
  return buf === REST;
}

export function takeReadBuffer(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
}

/** Give back an owned buffer no read and no write refers to any more. */
export function releaseReadBuffer(buf: Buffer): void {
  if (spare.length < MAX_SPARE && buf.length === READ_BUFFER_BYTES && buf !== REST) spare.push(buf);
}
