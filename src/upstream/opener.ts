/** Pick the tunnel protocol once, at composition time, so no per-request branch is paid. */
import { openHttpTunnel } from './http-connect.js';
import { openSocksTunnel } from './socks-connect.js';
import type { TunnelOpener, TunnelTimeouts } from './types.js';

export type UpstreamProtocol = 'http' | 'socks5';

export function createTunnelOpener(protocol: UpstreamProtocol, timeouts: TunnelTimeouts): TunnelOpener {
  const open = protocol === 'socks5' ? openSocksTunnel : openHttpTunnel;
  return (endpoint, host, port, cancel) => open(endpoint, host, port, timeouts, cancel);
}
