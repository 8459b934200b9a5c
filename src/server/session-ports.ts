/**
 * Session ports (`--session-ports 10001-10100`): for clients that cannot send credentials
 * (Chromium's SOCKS5, Java's CONNECT), each port of a range is one fixed sticky session. HTTP and
 * SOCKS5 share a port, told apart by the first byte (RFC 1928 §3: a SOCKS5 greeting starts with
 * 0x05; no HTTP method does). While the pool has enough, the ports get distinct endpoints: a
 * port's first dial avoids the endpoints the other ports are bound to.
 */
import net from 'node:net';
import type { Endpoint } from '../pool/endpoint.js';
import type { GeoSelection } from '../pool/geo-key.js';
import type { EndpointPool } from '../pool/pool.js';
import type { ClientSelection } from './dialects/index.js';
import type { HttpProxyListener } from './http-proxy.js';
import type { SocksProxyListener } from './socks-proxy.js';

const SOCKS5_VERSION = 0x05;

export interface SessionPortsOptions {
  host: string;
  first: number;
  last: number;
  geo: GeoSelection;
  pool: EndpointPool;
  /** Listeners that do not listen themselves; they handle connections handed over from here. */
  http: HttpProxyListener;
  socks: SocksProxyListener;
}

/** A listen failure on one port of the range, so the caller can name it. */
export class SessionPortError extends Error {
  constructor(
    readonly port: number,
    cause: unknown,
  ) {
    super(`cannot listen on session port ${port}`, { cause });
  }
}

export class SessionPorts {
  private readonly servers: net.Server[] = [];

  constructor(private readonly options: SessionPortsOptions) {}

  get ports(): { first: number; last: number } {
    return { first: this.options.first, last: this.options.last };
  }

  /** The session a port stands for, or undefined for a port outside the range. */
  selectionFor(localPort: number): ClientSelection | undefined {
    const { first, last, geo, pool } = this.options;
    if (localPort < first || localPort > last) return undefined;
    const session = sessionOf(localPort);
    const sub = pool.subPoolFor(geo);
    const own = pool.boundEndpoint(sub, session);
    const spread: Endpoint[] = [];
    for (let p = first; p <= last; p++) {
      if (p === localPort) continue;
      const e = pool.boundEndpoint(sub, sessionOf(p));
      if (e !== undefined && e !== own) spread.push(e);
    }
    return { geo, session, sessionTtlMs: undefined, spread };
  }

  async listen(): Promise<void> {
    const { host, first, last } = this.options;
    for (let port = first; port <= last; port++) {
      const server = net.createServer((socket) => this.onConnection(socket));
      this.servers.push(server);
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        throw new SessionPortError(port, err);
      }
    }
  }

  /** Stop accepting; the connections already handed over drain with their listeners. */
  async close(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private onConnection(socket: net.Socket): void {
    socket.on('error', noop);
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === SOCKS5_VERSION) this.options.socks.handle(socket);
      else this.options.http.server.emit('connection', socket);
      socket.resume();
    });
  }
}

/** Not a valid client session id (a space), so no username can reach a port's session. */
function sessionOf(port: number): string {
  return `@port ${port}`;
}

function noop(): void {}
