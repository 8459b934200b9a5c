/**
 * What the sim's plain HTTP servers (the provider and the echo target) share: listening on loopback, JSON
 * answers, and a close that does not wait for idle keep-alive connections.
 */
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { listen } from './listener.js';

export interface HttpServerOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
}

export interface StartedHttpServer {
  server: Server;
  host: string;
  port: number;
  /** Origin, e.g. `http://127.0.0.1:41000`. */
  url: string;
}

export async function startHttpServer(onRequest: RequestListener, opts: HttpServerOptions = {}): Promise<StartedHttpServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer(onRequest);
  // A client resetting mid-request must not crash the process: the server emits 'clientError' for parse
  // failures (and the request emits 'error' for aborted bodies); both are symptoms a test meant to cause.
  server.on('clientError', (_err, socket) => socket.destroy());
  const port = await listen(server, opts.port ?? 0, host);
  return { server, host, port, url: `http://${host}:${port}` };
}

/** Closes the listener and every connection. Never rejects. */
export function closeHttpServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    // server.close() only waits for keep-alive sockets; closeAllConnections() ends them now so tests exit.
    server.closeAllConnections();
  });
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
