/**
 * One relay direction whose source reads into reused buffers (upstream/reused-reads.ts): net
 * sockets with `onread`, and raw handles (upstream/raw-tcp.ts). The destination is the client's
 * net.Socket.
 *
 * A short read (a small tunnel's answer) lands in the shared buffer and is copied, the one
 * allocation a small chunk costs. A full read means more is queued in the kernel: the rest of the
 * burst is read into an owned buffer, written out as is, and reading waits while a write from
 * that buffer is in flight (the kernel has not taken it, so the bytes must stay put). So a bulk
 * tunnel allocates nothing per chunk, and idle tunnels share one buffer.
 */
import type net from 'node:net';
import { isSharedReadBuffer, releaseReadBuffer, takeReadBuffer, type ReadSink } from '../upstream/reused-reads.js';

/** Where the pump reads from. */
export interface PumpSource {
  /** From inside a read: the next read lands in `buf`. */
  readNextInto(buf: Buffer): void;
  /** Reading again after the pump returned false. */
  resume(): void;
  readonly destroyed: boolean;
}

export class ReusedReadPump implements ReadSink {
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
    private readonly activity: { touch(): void },
    private readonly src: PumpSource,
    private readonly dst: net.Socket,
  ) {}

  onRead(nread: number, buf: Buffer): boolean {
    const dst = this.dst;
    if (dst.destroyed) return false;
    this.activity.touch();
    // Straight from an owned buffer, but only behind nothing: then a write still pending after
    // write() returned is this chunk alone, and its callback says when the buffer is free.
    if (!isSharedReadBuffer(buf) && dst.writableLength === 0) {
      dst.write(nread === buf.length ? buf : buf.subarray(0, nread), this.flushed);
      if (dst.writableLength > 0) {
        this.waitingForFlush = true;
        this.src.readNextInto(buf);
        return false;
      }
      // A short read ends the burst: back to the shared buffer, this one to the spare list.
      if (nread === buf.length) this.src.readNextInto(buf);
      else releaseReadBuffer(buf);
      return true;
    }
    const chunk = Buffer.allocUnsafe(nread);
    buf.copy(chunk, 0, 0, nread);
    if (nread === buf.length) this.src.readNextInto(isSharedReadBuffer(buf) ? takeReadBuffer() : buf);
    else if (!isSharedReadBuffer(buf)) releaseReadBuffer(buf);
    if (dst.write(chunk)) return true;
    this.waitingForDrain = true;
    return false;
  }

  /** The destination drained: read again if the pump was waiting for it. */
  drained(): void {
    if (!this.waitingForDrain) return;
    this.waitingForDrain = false;
    if (!this.src.destroyed) this.src.resume();
  }
}
