/**
 * Body bytes of one upstream answer on their way to the client: held while the answer waits for
 * `deliver`, then written to the client's ServerResponse with backpressure both ways. The base of
 * an h1 exchange (h1-answer.ts delivers, h1-exchange.ts reads and writes the upstream side).
 *
 * Content-Length and close-delimited bodies arrive raw (`passRaw`): a burst that landed in an
 * owned read buffer is written straight from it, and the connection reads on only once that
 * write has left (upstream/reused-reads.ts); a read in the shared buffer is copied once. Pieces the
 * parser decoded (chunked) are copies already and go through `write`.
 */
import type { ServerResponse } from 'node:http';
import { DECODED, NO_BODY } from './h1-framing.js';
import type { UpstreamConnection } from './h1-connection.js';
import { isSharedReadBuffer, readNextInto, releaseReadBuffer, takeReadBuffer } from './reused-reads.js';
import type { Delivery } from './http-forward.js';

/** Bytes a slow client may have queued (or an undelivered answer held) before reading pauses. */
export const SLACK_BYTES = 256 * 1024;

export const PENDING = 0;
/** Final head in, the attempt resolved; body bytes are held until `deliver`. */
export const ANSWERED = 1;
export const DELIVERING = 2;
export const DONE = 3;

export abstract class BodyRelay {
  protected state = PENDING;
  protected framing = NO_BODY;
  /** The response was read whole (its parser said so, or its Content-Length count ran out). */
  protected complete = false;
  protected held: Buffer[] | undefined = undefined;
  protected heldBytes = 0;
  protected res: ServerResponse | undefined = undefined;
  protected delivery: Delivery | undefined = undefined;
  private onClientDrain: (() => void) | undefined = undefined;

  constructor(protected conn: UpstreamConnection) {}

  /** A piece the parser copied out (kOnBody), already counted. */
  protected piece(piece: Buffer): void {
    if (this.state === DELIVERING && this.framing === DECODED) this.write(piece);
    else this.hold(piece);
  }

  /** `buf[0..n)` is body; `nread` says whether the read filled the buffer (a burst). */
  protected passRaw(buf: Buffer, n: number, nread: number): void {
    const conn = this.conn;
    const res = this.res;
    if (this.state === DELIVERING && !isSharedReadBuffer(buf) && res!.writableLength === 0) {
      // Straight from an owned buffer, behind nothing: the write's callback says when it is free.
      res!.write(n === buf.length ? buf : buf.subarray(0, n), conn.flushed);
      if (res!.writableLength > 0) {
        // The next read must not land in it before it leaves; at the end of the answer the
        // connection reads on into the shared buffer instead, and this one is left to the GC.
        if (!this.complete) {
          conn.waitingFlush = true;
          readNextInto(buf);
        }
        return;
      }
      if (nread === buf.length && !this.complete) readNextInto(buf);
      else releaseReadBuffer(buf);
      return;
    }
    const copy = Buffer.allocUnsafe(n);
    buf.copy(copy, 0, 0, n);
    if (nread === buf.length && !this.complete) readNextInto(isSharedReadBuffer(buf) ? takeReadBuffer() : buf);
    else if (!isSharedReadBuffer(buf)) releaseReadBuffer(buf);
    if (this.state === DELIVERING) this.write(copy);
    else this.hold(copy);
  }

  /** Past SLACK_BYTES held before `deliver`: the connection stops reading until it comes. */
  protected holdingTooMuch(): boolean {
    return this.state === ANSWERED && this.heldBytes > SLACK_BYTES;
  }

  protected hold(piece: Buffer): void {
    if (this.state === DONE) return;
    (this.held ??= []).push(piece);
    this.heldBytes += piece.length;
  }

  protected write(piece: Buffer): void {
    const res = this.res!;
    // write() says false past the socket's 16 KiB mark, below one 64 KiB read: pausing there
    // would stop and restart reading per chunk.
    if (res.write(piece) || res.writableLength < SLACK_BYTES) return;
    this.conn.waitingClient = true;
    res.once('drain', (this.onClientDrain ??= () => this.clientDrained()));
  }

  private clientDrained(): void {
    if (this.state !== DELIVERING || this.conn.user !== (this as unknown)) return;
    this.conn.waitingClient = false;
    this.conn.resumeReading();
  }

  /** The client may take bytes again (deliver started): read on if the held ones stopped reading. */
  protected resumeIfWaiting(): void {
    const conn = this.conn;
    if (conn.user === (this as unknown) && conn.waitingClient) {
      conn.waitingClient = false;
      conn.resumeReading();
    }
  }

  protected finish(last: Buffer | string | undefined): void {
    this.state = DONE;
    if (typeof last === 'string') this.res!.end(last, 'latin1');
    else this.res!.end(last);
    this.delivery!.delivered(true);
  }

  /** Headers are out: nothing may be written after the fact; cutting the socket tells the client. */
  protected cut(): void {
    this.state = DONE;
    this.res!.destroy();
    this.delivery!.delivered(false);
  }
}
