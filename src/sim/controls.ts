/**
 * The control half every simulated upstream shares, whatever protocol it speaks: the failure mode, the counters,
 * the listener that mode `refuse` closes and reopens on the same port, and the sockets and timers close() must
 * end. upstream.ts (HTTP) and socks-upstream.ts (SOCKS5) bring only the protocol.
 */
import type { Socket } from 'node:net';
import { ReopenableListener } from './listener.js';
import { PendingTimers } from './timers.js';
import type { SimUpstream, UpstreamMode, UpstreamOptions } from './upstream.js';

const DEFAULT_SLOW_START_MS = 2000;

export class UpstreamControls {
  /** Absolute-URI requests received, whatever the mode did with them; the protocol code counts them. */
  requests = 0;
  /** CONNECT requests received, whatever the mode did with them; the protocol code counts them. */
  connects = 0;
  #mode: UpstreamMode = 'ok';
  #slowStartMs = DEFAULT_SLOW_START_MS;
  #closed = false;
  readonly #accepted = new Set<Socket>();
  readonly #outward = new Set<Socket>();
  readonly #timers = new PendingTimers();

  get mode(): UpstreamMode {
    return this.#mode;
  }

  /** Mode `slow-start`: runs `serve` after the delay setMode() asked for, unless the upstream closed meanwhile. */
  afterSlowStart(serve: () => void): void {
    this.#timers.later(this.#slowStartMs, serve);
  }

  /** Registers an outgoing socket so close() destroys it. */
  track(socket: Socket): void {
    this.#outward.add(socket);
    socket.once('close', () => this.#outward.delete(socket));
  }

  /**
   * Listens, hands every connection the mode lets through to `serve`, and returns the upstream as the provider
   * lists it; call once. `release` frees what the protocol owns besides sockets (the HTTP upstream's agent) on
   * close().
   */
  async start(opts: UpstreamOptions, serve: (socket: Socket) => void, release: () => void = () => {}): Promise<SimUpstream> {
    // The upstream returned below is a plain object; its getters and methods reach this instance through `controls`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the plain object's getters need this instance
    const controls = this;
    const host = opts.host ?? '127.0.0.1';
    const onAccept = (socket: Socket): void => {
      // Attached first, before anything async: a client resetting must never crash the process.
      socket.on('error', () => {});
      controls.#accepted.add(socket);
      socket.once('close', () => controls.#accepted.delete(socket));
      if (controls.#closed || controls.#mode === 'refuse') {
        socket.destroy();
        return;
      }
      serve(socket);
    };
    const listener = await ReopenableListener.open(onAccept, opts.port ?? 0, host);
    const port = listener.port;
    let closing: Promise<void> | undefined;

    return {
      index: opts.index,
      id: `${host}:${port}`,
      host,
      port,
      localAddress: opts.localAddress,
      country: opts.country,
      ep: opts.ep,
      get mode() {
        return controls.#mode;
      },
      get requests() {
        return controls.requests;
      },
      get connects() {
        return controls.connects;
      },
      get openConnections() {
        return controls.#accepted.size;
      },
      setMode(next, modeOpts = {}) {
        if (controls.#closed) return Promise.resolve();
        controls.#mode = next;
        controls.#slowStartMs = modeOpts.delayMs ?? DEFAULT_SLOW_START_MS;
        if (next === 'refuse') {
          listener.stop();
          // A node that went away takes its connections with it.
          for (const socket of controls.#accepted) socket.destroy();
          return Promise.resolve();
        }
        return listener.reopen();
      },
      close() {
        closing ??= (async () => {
          controls.#closed = true;
          controls.#timers.cancelAll();
          const stopped = listener.close();
          for (const socket of controls.#accepted) socket.destroy();
          for (const socket of controls.#outward) socket.destroy();
          release();
          await stopped;
        })();
        return closing;
      },
    };
  }
}
