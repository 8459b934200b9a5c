/**
 * Relay an established tunnel of either kind (upstream/types.ts RelayTunnel): the client's bytes
 * sent ahead of the tunnel go to the upstream first, then relay.ts (net.Socket upstream) or
 * raw-relay.ts (raw handle upstream) takes over. Shared by the CONNECT and SOCKS5 listeners.
 */
import type net from 'node:net';
import type { RelayTunnel } from '../upstream/types.js';
import { relayRaw } from './raw-relay.js';
import { relay, type RelayClosed } from './relay.js';

export function relayTunnel(client: net.Socket, tunnel: RelayTunnel, early: Buffer, idleTimeoutMs: number, onClose: RelayClosed): void {
  if ('raw' in tunnel) {
    if (early.length > 0) tunnel.raw.write(early);
    relayRaw(client, tunnel.raw, idleTimeoutMs, onClose);
  } else {
    if (early.length > 0) tunnel.socket.write(early);
    relay(client, tunnel.socket, idleTimeoutMs, onClose);
  }
}
