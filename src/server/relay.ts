/**
 * Splice two sockets together after a tunnel is established, for CONNECT and SOCKS5 alike.
 * Either side closing or erroring tears down both; an idle timeout (no bytes either way) closes
 * tunnels a client forgot, so they cannot pile up. No per-chunk work beyond pipe(): byte counts
 * for metrics can come from socket.bytesRead/bytesWritten at close.
 */
import type net from 'node:net';

export function relay(client: net.Socket, upstream: net.Socket, idleTimeoutMs: number, onClose?: () => void): void {
  let closed = false;
  const teardown = (): void => {
    if (closed) return;
    closed = true;
    client.destroy();
    upstream.destroy();
    // Once per tunnel, after both sides are gone: the outcome hook (access log, metrics) reads byte counts here.
    onClose?.();
  };
  client.on('error', teardown);
  upstream.on('error', teardown);
  client.on('close', teardown);
  upstream.on('close', teardown);
  upstream.setTimeout(idleTimeoutMs, teardown);
  client.setTimeout(idleTimeoutMs, teardown);
  client.pipe(upstream);
  upstream.pipe(client);
  // Both may have been paused while the tunnel was set up; pipe() resumes the client, this the upstream.
  upstream.resume();
}
