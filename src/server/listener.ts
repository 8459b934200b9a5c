/**
 * What the composition root needs of every listener (HTTP/CONNECT, SOCKS5, and the ones that come
 * after): bind, say where, and stop with a bounded drain. The app starts and stops them as a list.
 */
export interface Listener {
  /** For messages: `http`, `socks5`, `admin`. */
  readonly kind: string;
  /** Bind and start accepting; rejects with the system error when the port is taken. */
  listen(): Promise<void>;
  /** The bound port (after listen(); the ephemeral one when asked for 0). */
  readonly port: number;
  /**
   * Stop accepting, let what is in flight finish for up to `drainMs` (0: cut at once), then close
   * every connection. Safe to call twice and before listen().
   */
  drain(drainMs: number): Promise<void>;
  /** Connections closed at accept because the listener was at --max-connections. */
  readonly droppedConnections: number;
}
