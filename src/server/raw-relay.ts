/**
 * The relay of relay.ts for a tunnel whose upstream side is a raw handle (upstream/raw-tcp.ts):
 * the client's net.Socket on one side, the handle on the other, with the same rules.
 *
 * - Upstream to client: the handle reads into reused buffers and the pump (read-pump.ts) writes
 *   to the client, waiting for its 'drain' or for a write from an owned buffer to leave.
 * - Client to upstream: 'data' chunks are written to the handle; past HIGH_WATER bytes in flight
 *   the client is paused until the handle has flushed.
 * - A side that sends FIN gets the other side ended after its pending writes (half-close).
 * - The client's 'close' (both directions done, or the client gone) tears the tunnel down, once
 *   the handle has flushed what it was given; an error on either side tears it down at once. One
 *   idle timer (no bytes either way for idleTimeoutMs) closes a tunnel a client forgot.
 * - onClose runs once, after both sides are gone.
 */
import type net from 'node:net';
import type { RawSink, RawTcp } from '../upstream/raw-tcp.js';
import { ReusedReadPump } from './read-pump.js';
import { notifyClosed, type RelayClosed } from './relay.js';

/** Bytes in flight to the upstream before the client is paused (a socket's default high-water mark). */
const HIGH_WATER = 64 * 1024;

export function relayRaw(client: net.Socket, upstream: RawTcp, idleTimeoutMs: number, onClose?: RelayClosed): void {
  new RawRelay(client, upstream, idleTimeoutMs, onClose);
}

class RawRelay implements RawSink {
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly pump: ReusedReadPump;
  private clientPaused = false;

  constructor(
    private readonly client: net.Socket,
    private readonly upstream: RawTcp,
    idleTimeoutMs: number,
    private readonly onClose: RelayClosed | undefined,
  ) {
    const teardown = (): void => this.teardown();
    this.timer = setTimeout(teardown, idleTimeoutMs);
    // The sockets keep the process alive while the tunnel is open; the timer need not.
    this.timer.unref();
    this.pump = new ReusedReadPump(this, upstream, client);
    upstream.setSink(this);
    upstream.onFlushed(() => this.upstreamFlushed());
    client.on('error', teardown);
    client.on('close', () => this.clientClosed());
    client.on('drain', () => this.pump.drained());
    client.on('end', () => {
      if (!upstream.destroyed) upstream.shutdown();
    });
    client.on('data', (chunk: Buffer) => {
      this.touch();
      if (!upstream.write(chunk) && upstream.pendingBytes > HIGH_WATER) {
        this.clientPaused = true;
        client.pause();
      }
    });
    upstream.readStart();
    // The front and the handshake left the client paused.
    client.resume();
  }

  /** Bytes moved: the tunnel is not idle. */
  touch(): void {
    this.timer.refresh();
  }

  onRead(nread: number, buf: Buffer): boolean {
    return this.pump.onRead(nread, buf);
  }

  onEnd(): void {
    if (!this.client.destroyed) this.client.end();
  }

  onError(): void {
    this.teardown();
  }

  private upstreamFlushed(): void {
    if (this.clientPaused) {
      this.clientPaused = false;
      if (!this.client.destroyed) this.client.resume();
    }
    // The client had closed while the upstream still had its last bytes to take.
    if (this.client.destroyed) this.teardown();
  }

  private clientClosed(): void {
    if (this.closed) return;
    // What the client sent before it left still goes out (bounded by the idle timer).
    if (this.upstream.pendingBytes > 0 && !this.upstream.destroyed) return;
    this.teardown();
  }

  teardown(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.client.destroy();
    this.upstream.close();
    notifyClosed(this.onClose);
  }
}
