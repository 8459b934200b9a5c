/**
 * Splice two sockets together after a tunnel is established, for CONNECT and SOCKS5 alike (the
 * net engine; raw-relay.ts is the same for an upstream on a raw handle).
 *
 * No pipe(): each direction writes what it reads straight to the peer and stops reading while the
 * peer is backed up. A side whose socket reads into reused buffers (upstream sockets, see
 * upstream/reused-reads.ts) goes through the read pump (read-pump.ts), which allocates nothing per
 * chunk on bulk transfers; other sockets (the accepted client) use 'data' events.
 *
 * A side that ends (FIN) ends the other after its pending writes (half-close). A side closing
 * tears down both once the other has flushed what it was given; an error tears down both at once.
 * One idle timer per tunnel (no bytes either way for idleTimeoutMs) closes tunnels a client
 * forgot. onClose runs once, after both sides are destroyed; byte counts for metrics come from
 * socket.bytesRead/bytesWritten there.
 */
import type net from 'node:net';
import { readNextInto, readsIntoReusedBuffers, setReadSink } from '../upstream/reused-reads.js';
import { ReusedReadPump, type PumpSource } from './read-pump.js';

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
      const source: PumpSource = {
        readNextInto,
        resume: () => src.resume(),
        get destroyed() {
          return src.destroyed;
        },
      };
      const pump = new ReusedReadPump(this, source, dst);
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
    notifyClosed(this.onClose);
  }
}

/** Once per tunnel, after both sides are gone: the outcome hook (access log, metrics) reads byte counts here. */
export function notifyClosed(onClose: RelayClosed | undefined): void {
  if (typeof onClose === 'function') onClose();
  else onClose?.closed();
}
