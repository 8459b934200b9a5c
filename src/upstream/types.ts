/**
 * The upstream layer's one vocabulary: what a tunnel through an endpoint is and how one is opened.
 * Listeners (server/) and the health prober (health/) both depend on this; it depends on neither.
 */
import type net from 'node:net';
import type { Endpoint } from '../pool/endpoint.js';

export interface TunnelTimeouts {
  connectTimeoutMs: number;
  responseTimeoutMs: number;
}

export interface Tunnel {
  socket: net.Socket;
  /** Bytes the upstream sent after its final reply (the start of the tunnelled stream). */
  head: Buffer;
}

/** Open a tunnel to `host:port` through `endpoint` (HTTP CONNECT or SOCKS5, chosen once at start). */
export type TunnelOpener = (endpoint: Endpoint, host: string, port: number) => Promise<Tunnel>;
