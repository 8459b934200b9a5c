/**
 * The echo target: the "website" that traffic ends up at in the demo, the integration tests and the benches.
 *
 * `GET /ip` answers the caller's address, so a request sent through upstream i shows upstream i's
 * `localAddress` (127.0.0.(10+i)). Every other path echoes what arrived, so tests can check what the proxy
 * chain forwarded (hop-by-hop headers, Proxy-Authorization) without a packet capture.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { closeHttpServer, sendJson, startHttpServer, type HttpServerOptions } from './http-server.js';

export type EchoTargetOptions = HttpServerOptions;

/** What the target answers for any path but `/ip`. */
export interface EchoReply {
  method: string;
  /** Path and query as received (origin-form). */
  path: string;
  /** Lower-cased header names, as Node parsed them. */
  headers: IncomingHttpHeaders;
  ip: string;
  /** Body as utf8, truncated to {@link MAX_ECHO_BODY_BYTES}. */
  body: string;
}

export interface EchoTarget {
  /** Origin, e.g. `http://127.0.0.1:41000`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Requests received so far, any path. */
  readonly requests: number;
  /** Closes the listener and every socket, keep-alive ones included. Never rejects. */
  close(): Promise<void>;
}

/** Echo bodies are for assertions, not for bulk transfer; past this the rest is read and dropped. */
export const MAX_ECHO_BODY_BYTES = 1024 * 1024;

/** `::ffff:127.0.0.12` is how a dual-stack socket spells an IPv4 peer; tests compare against `127.0.0.12`. */
export function normalizeIp(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export async function startEchoTarget(opts: EchoTargetOptions = {}): Promise<EchoTarget> {
  let requests = 0;

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    requests++;
    const ip = normalizeIp(req.socket.remoteAddress);
    if (req.method === 'GET' && (req.url === '/ip' || req.url?.startsWith('/ip?') === true)) {
      // The body of a GET is irrelevant here; resume() lets a keep-alive connection carry on.
      req.resume();
      sendJson(res, 200, { ip });
      return;
    }
    readBody(req, (body) => {
      const reply: EchoReply = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, ip, body };
      sendJson(res, 200, reply);
    });
  }

  const { server, host, port, url } = await startHttpServer(onRequest, opts);
  let closing: Promise<void> | undefined;

  return {
    url,
    host,
    port,
    get requests() {
      return requests;
    },
    close() {
      closing ??= closeHttpServer(server);
      return closing;
    },
  };
}

function readBody(req: IncomingMessage, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    if (size >= MAX_ECHO_BODY_BYTES) return;
    const room = MAX_ECHO_BODY_BYTES - size;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    chunks.push(kept);
    size += kept.length;
  });
  req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
  // An aborted body has nobody left to answer; the socket is already gone.
  req.on('error', () => {});
}
