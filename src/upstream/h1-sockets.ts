/**
 * Kept-alive connections to upstream HTTP proxies, per endpoint (the Endpoint object, so two
 * credentials on one gateway address never share a connection: some gateways bind an exit to the
 * connection's first request). What undici's Agent did for the forwarding path, reduced to what a
 * proxy needs: an idle stack per endpoint (newest first, so the oldest age out), at most
 * `maxIdlePerEndpoint` kept, each closed once idle for the keep-alive time (or the upstream's own
 * `Keep-Alive: timeout` hint, less a second, when shorter), and every one closed when its endpoint
 * is retired or ejected, and on close(). One sweep on the injected clock runs while any
 * connection is idle; a connection the upstream closes while idle leaves at once ('close').
 */
import { every, systemClock, type Clock } from '../clock.js';
import type { Endpoint } from '../pool/endpoint.js';
import { UpstreamConnection, type ConnectionHost } from './h1-connection.js';

export interface UpstreamSocketsOptions {
  connectTimeoutMs: number;
  /** How long an idle connection is kept (undici's keepAliveTimeout was 4 s here). */
  keepAliveMs?: number;
  maxIdlePerEndpoint?: number;
  clock?: Clock;
}

export interface UpstreamSocketsStats {
  /** Connections open, busy or idle. */
  open: number;
  idle: number;
  /** Connections opened since start, and requests that reused an idle one. */
  opened: number;
  reused: number;
}

const DEFAULT_KEEP_ALIVE_MS = 4_000;
const DEFAULT_MAX_IDLE = 32;
/** Idle connections are closed this long before their deadline rather than after, so a sweep never hands out one about to expire. */
const SWEEP_MS = 500;

export class UpstreamSockets implements ConnectionHost {
  readonly connectTimeoutMs: number;
  readonly keepAliveMs: number;
  private readonly maxIdle: number;
  private readonly clock: Clock;
  private readonly idle = new Map<Endpoint, UpstreamConnection[]>();
  private idleCount = 0;
  private open = 0;
  private opened = 0;
  private reused = 0;
  private stopSweep: (() => void) | undefined;
  private closing = false;

  constructor(options: UpstreamSocketsOptions) {
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
    this.maxIdle = options.maxIdlePerEndpoint ?? DEFAULT_MAX_IDLE;
    this.clock = options.clock ?? systemClock;
  }

  /** An idle connection to `endpoint`, most recently used first, or undefined. */
  take(endpoint: Endpoint): UpstreamConnection | undefined {
    const list = this.idle.get(endpoint);
    if (list === undefined) return undefined;
    const now = this.clock.now();
    let conn: UpstreamConnection | undefined;
    while ((conn = list.pop()) !== undefined) {
      this.idleCount--;
      if (!conn.destroyed && now - conn.idleSince < conn.idleMs) break;
      conn.destroy();
    }
    if (list.length === 0) this.idle.delete(endpoint);
    if (conn !== undefined) this.reused++;
    return conn;
  }

  /** A new connection to `endpoint` (its checked address when it has one). */
  connect(endpoint: Endpoint): UpstreamConnection {
    this.open++;
    this.opened++;
    return new UpstreamConnection(endpoint, this, this.connectTimeoutMs);
  }

  /**
   * A connection whose response was read whole: kept for the next request to its endpoint, or
   * closed (full stack, endpoint gone, an upstream hint of no keep-alive, or closing).
   */
  release(conn: UpstreamConnection, hintMs: number): void {
    const endpoint = conn.endpoint;
    const idleMs = hintMs < this.keepAliveMs ? hintMs : this.keepAliveMs;
    if (this.closing || conn.destroyed || endpoint.retired || endpoint.health === 'ejected' || idleMs <= SWEEP_MS) {
      conn.destroy();
      return;
    }
    let list = this.idle.get(endpoint);
    if (list === undefined) this.idle.set(endpoint, (list = []));
    if (list.length >= this.maxIdle) {
      conn.destroy();
      return;
    }
    conn.idleSince = this.clock.now();
    conn.idleMs = idleMs;
    list.push(conn);
    this.idleCount++;
    this.stopSweep ??= every(this.clock, SWEEP_MS, () => this.sweep());
  }

  /** ConnectionHost: a connection is gone (the socket closed, idle or busy). */
  closed(conn: UpstreamConnection): void {
    this.open--;
    const list = this.idle.get(conn.endpoint);
    if (list === undefined) return;
    const i = list.indexOf(conn);
    if (i === -1) return;
    list.splice(i, 1);
    this.idleCount--;
    if (list.length === 0) this.idle.delete(conn.endpoint);
  }

  /**
   * Close the idle connections to `endpoint` now (it was ejected or retired: the pool's event),
   * instead of at the next sweep. Busy ones close when their answer is in (`release`).
   */
  closeIdle(endpoint: Endpoint): void {
    const list = this.idle.get(endpoint);
    // destroy() reaches `closed`, which takes the connection off the list.
    if (list === undefined) return;
    for (let n = list.length; n > 0 && list.length > 0; n--) list[list.length - 1]!.destroy();
    if (this.idleCount === 0) this.stopSweeping();
  }

  /** Close what is due (and what its endpoint no longer needs); stop sweeping when nothing is idle. */
  sweep(): void {
    const now = this.clock.now();
    for (const [endpoint, list] of this.idle) {
      const gone = endpoint.retired || endpoint.health === 'ejected';
      // Oldest first: the stack is in release order.
      while (list.length > 0 && (gone || now - list[0]!.idleSince >= list[0]!.idleMs - SWEEP_MS)) list[0]!.destroy();
    }
    if (this.idleCount === 0) this.stopSweeping();
  }

  stats(): UpstreamSocketsStats {
    return { open: this.open, idle: this.idleCount, opened: this.opened, reused: this.reused };
  }

  /** Close every idle connection now and every busy one as it is released; for stop(). */
  close(): void {
    this.closing = true;
    for (const list of [...this.idle.values()]) for (const conn of [...list]) conn.destroy();
    this.stopSweeping();
  }

  private stopSweeping(): void {
    this.stopSweep?.();
    this.stopSweep = undefined;
  }
}
