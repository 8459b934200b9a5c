/** Pick the tunnel protocol and engine once, at composition time, so no per-request branch is paid. */
import { runHandshake, type HandshakeProtocol } from './handshake.js';
import { httpConnectProtocol } from './http-connect.js';
import { runRawHandshake } from './raw-handshake.js';
import { rawTcpAvailable } from './raw-tcp.js';
import { socksProtocol } from './socks-connect.js';
import type { RelayTunnelOpener, TunnelOpener, TunnelTimeouts } from './types.js';

export type UpstreamProtocol = 'http' | 'socks5';

/**
 * How tunnels reach upstreams: `raw`, libuv handles (raw-tcp.ts; the default where the runtime
 * has them), or `net`, net.Socket everywhere.
 */
export type TunnelEngine = 'raw' | 'net';

type ProtocolFor = (endpoint: Parameters<typeof httpConnectProtocol>[0], host: string, port: number) => HandshakeProtocol;

function protocolFor(protocol: UpstreamProtocol): ProtocolFor {
  return protocol === 'socks5' ? socksProtocol : httpConnectProtocol;
}

/** Tunnels on net.Socket: for node:http over a SOCKS5 tunnel (tunnel-forward.ts), which needs one. */
export function createTunnelOpener(protocol: UpstreamProtocol, timeouts: TunnelTimeouts): TunnelOpener {
  const build = protocolFor(protocol);
  return (endpoint, host, port, cancel) => runHandshake(endpoint, timeouts, cancel, build(endpoint, host, port));
}

/** The engine tunnels use here: raw unless asked for net or the runtime lacks the handles. */
export function tunnelEngine(wanted: TunnelEngine = 'raw'): TunnelEngine {
  return wanted === 'raw' && rawTcpAvailable() ? 'raw' : 'net';
}

/** Tunnels the listeners relay and the prober opens: on `engine` (see tunnelEngine). */
export function createRelayTunnelOpener(protocol: UpstreamProtocol, timeouts: TunnelTimeouts, engine: TunnelEngine): RelayTunnelOpener {
  if (engine === 'net') return createTunnelOpener(protocol, timeouts);
  const build = protocolFor(protocol);
  return (endpoint, host, port, cancel) => runRawHandshake(endpoint, timeouts, cancel, build(endpoint, host, port));
}
