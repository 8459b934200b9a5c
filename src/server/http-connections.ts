/**
 * The HTTP listener's client connections, for a bounded drain and for cancelling what a client
 * that left was waiting for. One 'close' and one 'error' listener per connection, shared by every
 * connection (no closure per socket) and never one per request (keep-alive sockets carry many).
 */
import type net from 'node:net';

/** What a connection is busy with: cancelled when the client goes away. */
export interface ClientWork {
  clientGone(): void;
}

const CURRENT = Symbol('swivel.current');
type Tracked = net.Socket & { [CURRENT]?: ClientWork | undefined };

export class Connections {
  private readonly open = new Set<net.Socket>();
  private readonly waiting: { emptied: (() => void) | undefined } = { emptied: undefined };
  private readonly onClose: (this: net.Socket) => void;

  constructor(onGone: (socket: net.Socket) => void) {
    const { open, waiting } = this;
    // Shared by every socket: `this` is the socket that closed.
    this.onClose = function onClose(this: Tracked): void {
      open.delete(this);
      onGone(this);
      const work = this[CURRENT];
      if (work !== undefined) {
        this[CURRENT] = undefined;
        work.clientGone();
      }
      if (open.size === 0) waiting.emptied?.();
    };
  }

  get size(): number {
    return this.open.size;
  }

  add(socket: net.Socket): void {
    this.open.add(socket);
    socket.once('close', this.onClose);
    // proxy-chain#53: an error before node:http (or the relay) has its handlers on must not crash us;
    // after a CONNECT upgrade node:http removes its own.
    socket.on('error', swallow);
  }

  /**
   * The work this connection waits on now (node:http answers pipelined requests in order, so the
   * latest is the one that matters; an earlier one notices the closed socket when it writes).
   */
  busy(socket: net.Socket, work: ClientWork): void {
    (socket as Tracked)[CURRENT] = work;
  }

  idle(socket: net.Socket, work: ClientWork): void {
    if ((socket as Tracked)[CURRENT] === work) (socket as Tracked)[CURRENT] = undefined;
  }

  destroyAll(): void {
    for (const socket of this.open) socket.destroy();
  }

  /** Resolves when no connection is left, or after `ms`. */
  whenEmpty(ms: number): Promise<void> {
    if (this.open.size === 0 || ms <= 0) return Promise.resolve();
    const waiting = this.waiting;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        waiting.emptied = undefined;
        resolve();
      }
      waiting.emptied = done;
    });
  }
}

function swallow(): void {}
