/**
 * Splice two sockets together after a tunnel is established, for CONNECT and SOCKS5 alike.
 * Either side closing or erroring tears down both; an idle timeout (no bytes either way) closes
 * tunnels a client forgot, so they cannot pile up.
 */
import type { Duplex } from 'node:stream';
import type net from 'node:net';

export interface RelayStats {
  /** Bytes client → upstream and upstream → client. */
  up: number;
  down: number;
}

export function relay(
  client: net.Socket | Duplex,
  upstream: net.Socket,
  idleTimeoutMs: number,
  onClose?: (stats: RelayStats) => void,
): void {
  const stats: RelayStats = { up: 0, down: 0 };
  let closed = false;
  const teardown = (): void => {
    if (closed) return;
    closed = true;
    client.destroy();
    upstream.destroy();
    onClose?.(stats);
  };
  client.on('error', teardown);
  upstream.on('error', teardown);
  client.on('close', teardown);
  upstream.on('close', teardown);
  // Half-close is passed through: the side that ends its writes lets the other finish reading.
  client.on('data', (chunk: Buffer) => {
    stats.up += chunk.length;
  });
  upstream.on('data', (chunk: Buffer) => {
    stats.down += chunk.length;
  });
  upstream.setTimeout(idleTimeoutMs, teardown);
  if ('setTimeout' in client && typeof client.setTimeout === 'function') (client as net.Socket).setTimeout(idleTimeoutMs, teardown);
  client.pipe(upstream);
  upstream.pipe(client);
  upstream.resume();
}
