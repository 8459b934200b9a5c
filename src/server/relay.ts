/**
 * Splice two sockets together after a tunnel is established, for CONNECT and SOCKS5 alike.
 *
 * No pipe(): each direction writes what it reads straight to the peer and stops reading while the
 * peer is backed up. A side whose socket reads into reused buffers (upstream sockets, see
 * upstream/reused-reads.ts) allocates nothing per chunk on bulk transfers: a full read moves it
 * to an owned buffer written out as is, and reading waits while a write from that buffer is in
 * flight (the kernel has not taken it yet, so the bytes must stay put). A short read (a small
 * tunnel's request or answer) lands in the shared buffer and is copied, the one allocation a small
 * chunk costs. Other sockets (the accepted client) use 'data' events.
 *
 * A side that ends (FIN) ends the other after its pending writes (half-close). A side closing
 * tears down both once the other has flushed what it was given; an error tears down both at once.
 * One idle timer per tunnel (no bytes either way for idleTimeoutMs) closes tunnels a client
 * forgot. onClose runs once, after both sides are destroyed; byte counts for metrics come from
 * socket.bytesRead/bytesWritten there.
 */
import type net from 'node:net';
import {
  isSharedReadBuffer,
  readNextInto,
  readsIntoReusedBuffers,
  releaseReadBuffer,
  setReadSink,
  takeReadBuffer,
  type ReadSink,
} from '../upstream/reused-reads.js';

/** Told once when a tunnel closed: a function, or an object whose closed() is called (no closure). */
export type RelayClosed = (() => void) | { closed(): void };

export function relay(client: net.Socket, upstream: net.Socket, idleTimeoutMs: number, onClose?: RelayClosed): void {
  new Relay(client, upstream, idleTimeoutMs, onClose);
}

class Relay {
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly client: net.Socket,
    private readonly upstream: net.Socket,
    idleTimeoutMs: number,
    private readonly onClose: RelayClosed | undefined,
  ) {
    const teardown = (): void => this.teardown();
    this.timer = setTimeout(teardown, idleTimeoutMs);
    // The sockets keep the process alive while the tunnel is open; the timer need not.
    this.timer.unref();
    client.on('error', teardown);
    upstream.on('error', teardown);
    client.on('close', () => this.closedSide(upstream));
    upstream.on('close', () => this.closedSide(client));
    this.direction(client, upstream);
    this.direction(upstream, client);
  }

  /** Bytes moved: the tunnel is not idle. */
  touch(): void {
    this.timer.refresh();
  }

  private direction(src: net.Socket, dst: net.Socket): void {
    src.on('end', () => {
      if (!dst.destroyed) dst.end();
    });
    if (readsIntoReusedBuffers(src)) {
      const pump = new ReusedReadPump(this, src, dst);
      setReadSink(src, pump);
      dst.on('drain', () => pump.drained());
      // Bytes pushed before the relay took over (none from our handshake, which leaves the socket
      // paused, but a caller may have resumed it) go first, in order.
      for (let chunk = src.read() as Buffer | null; chunk !== null; chunk = src.read() as Buffer | null) dst.write(chunk);
    } else {
      src.on('data', (chunk: Buffer) => {
        this.touch();
        if (!dst.write(chunk)) src.pause();
      });
      dst.on('drain', () => src.resume());
    }
    // Either side may have been paused while the tunnel was set up.
    src.resume();
  }

  /** `side` closed: finish once `other` has flushed what it was given, or at once. */
  private closedSide(other: net.Socket): void {
    if (this.closed) return;
    if (!other.destroyed && other.writableEnded && !other.writableFinished) {
      // The idle timer still bounds this wait (a peer that stops reading).
      other.once('finish', () => this.teardown());
      return;
    }
    this.teardown();
  }

  teardown(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.client.destroy();
    this.upstream.destroy();
    // Once per tunnel, after both sides are gone: the outcome hook (access log, metrics) reads byte counts here.
    const onClose = this.onClose;
    if (typeof onClose === 'function') onClose();
    else onClose?.closed();
  }
}

/** One direction whose source reads into reused buffers (upstream/reused-reads.ts). */
class ReusedReadPump implements ReadSink {
  /** Waiting for the peer's 'drain' (a copied chunk filled its buffer). */
  private waitingForDrain = false;
  /** Waiting for a write from an owned buffer to leave (the buffer cannot take a read before). */
  private waitingForFlush = false;
  private readonly flushed = (): void => {
    if (!this.waitingForFlush) return;
    this.waitingForFlush = false;
    if (!this.src.destroyed) this.src.resume();
  };

  constructor(
    private readonly relay: Relay,
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
  ) {}

  onRead(nread: number, buf: Buffer): boolean {
    const dst = this.dst;
    if (dst.destroyed) return false;
    this.relay.touch();
    // Straight from an owned buffer, but only behind nothing: then a write still pending after
    // write() returned is this chunk alone, and its callback says when the buffer is free.
    if (!isSharedReadBuffer(buf) && dst.writableLength === 0) {
      dst.write(nread === buf.length ? buf : buf.subarray(0, nread), this.flushed);
      if (dst.writableLength > 0) {
        this.waitingForFlush = true;
        readNextInto(buf);
        return false;
      }
      // A short read ends the burst: back to the shared buffer, this one to the spare list.
      if (nread === buf.length) readNextInto(buf);
      else releaseReadBuffer(buf);
      return true;
    }
    const chunk = Buffer.allocUnsafe(nread);
    buf.copy(chunk, 0, 0, nread);
    // A full read means more is queued in the kernel: read the rest of the burst into an owned buffer.
    if (nread === buf.length) readNextInto(isSharedReadBuffer(buf) ? takeReadBuffer() : buf);
    else if (!isSharedReadBuffer(buf)) releaseReadBuffer(buf);
    if (dst.write(chunk)) return true;
    this.waitingForDrain = true;
    return false;
  }

  drained(): void {
    if (!this.waitingForDrain) return;
    this.waitingForDrain = false;
    if (!this.src.destroyed) this.src.resume();
  }
}
