/**
 * A simulated upstream proxy node, like one residential endpoint the provider hands out: an HTTP forward proxy
 * (absolute-URI requests and CONNECT) whose outgoing connections are bound to its own loopback address, with a
 * switchable failure mode so tests can break it on purpose.
 *
 * Sockets are accepted by a plain net.Server and handed to an http.Server that never listens itself. That split
 * lets mode `refuse` close the real listener (connects get ECONNREFUSED, as from a node that went away) and
 * listen again on the SAME port later, while the parser and the id the provider handed out stay the same.
 */
import { Agent, createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { UpstreamControls } from './controls.js';
import { answerText, forwardPlain } from './forward.js';
import { answerRaw, openTunnel } from './tunnel.js';

/**
 * - `ok`: forwards normally.
 * - `refuse`: the listener is closed (new connects get ECONNREFUSED) and open connections are destroyed; any
 *   other mode listens again on the same port.
 * - `reset-before-headers`: reads the request head, then resets the connection (RST), CONNECT included.
 * - `reset-after-headers`: plain: relays the target's status and headers, then cuts mid-body; CONNECT: answers
 *   200, relays the first half of the target's first chunk, then cuts (FIN after flushing, so the bytes arrive).
 * - `auth-407`: answers 407 to everything.
 * - `silent`: reads the request and never answers; the socket stays open until close().
 * - `slow-start`: waits `delayMs` (default 2000) before handling each request normally.
 * - `reject-connect`: CONNECT gets 403, plain requests are served.
 */
export type UpstreamMode =
  'ok' | 'refuse' | 'reset-before-headers' | 'reset-after-headers' | 'auth-407' | 'silent' | 'slow-start' | 'reject-connect';

export interface UpstreamModeOptions {
  /** For `slow-start`: how long each request waits before it is handled. Default 2000. */
  delayMs?: number;
}

export interface UpstreamAuth {
  username: string;
  password: string;
}

/** How to start a simulated upstream, whichever protocol it speaks. */
export interface UpstreamOptions {
  index: number;
  /** Source address of outgoing connections, e.g. `127.0.0.12`; what the echo target reports as `ip`. */
  localAddress: string;
  country: string;
  /** Proxy network (`us`, `hk`, `de`), matched by the provider's `ep` parameter. */
  ep?: string;
  /**
   * When set, clients must present exactly this pair: a matching `Proxy-Authorization: Basic` (HTTP), or RFC 1929
   * username/password (SOCKS5).
   */
  auth?: UpstreamAuth;
  /** Listen address. Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
}

export interface SimUpstream {
  readonly index: number;
  /** `host:port`, the entry the provider lists. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly localAddress: string;
  readonly country: string;
  readonly ep: string | undefined;
  readonly mode: UpstreamMode;
  /**
   * Switches the failure mode; it applies to requests that arrive from now on. The promise settles once the
   * listener is back (leaving `refuse`); it rejects if the port could not be listened on again.
   */
  setMode(mode: UpstreamMode, opts?: UpstreamModeOptions): Promise<void>;
  /** Absolute-URI requests received, whatever the mode did with them. */
  readonly requests: number;
  /** CONNECT requests received, whatever the mode did with them. */
  readonly connects: number;
  /** Client connections open right now (tests check abandoned handshakes are torn down). */
  readonly openConnections: number;
  /** Destroys every socket accepted or opened and stops listening. Never rejects. */
  close(): Promise<void>;
}

export async function startUpstreamProxy(opts: UpstreamOptions): Promise<SimUpstream> {
  const { auth, localAddress } = opts;
  const expectedAuth = auth === undefined ? undefined : Buffer.from(`${auth.username}:${auth.password}`).toString('base64');

  const controls = new UpstreamControls();
  // One pool per upstream: keep-alive to the target spares benches a TCP handshake (and a TIME_WAIT) per request.
  const agent = new Agent({ keepAlive: true });

  const parser = createHttpServer();
  parser.on('request', onRequest);
  parser.on('connect', onConnect);
  // A garbled request head: nothing sensible to answer on a proxy socket.
  parser.on('clientError', (_err, socket: Duplex) => socket.destroy());

  function authorized(req: IncomingMessage): boolean {
    if (expectedAuth === undefined) return true;
    const header = req.headers['proxy-authorization'];
    if (header === undefined) return false;
    const space = header.indexOf(' ');
    return space > 0 && header.slice(0, space).toLowerCase() === 'basic' && header.slice(space + 1).trim() === expectedAuth;
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    controls.requests++;
    const current = controls.mode;
    if (current === 'silent') return;
    if (current === 'slow-start') {
      controls.afterSlowStart(() => servePlain(req, res, 'ok'));
      return;
    }
    servePlain(req, res, current);
  }

  function servePlain(req: IncomingMessage, res: ServerResponse, current: UpstreamMode): void {
    // After a slow start the client may have given up; forwarding then would only open a useless connection.
    if (req.socket.destroyed) return;
    if (current === 'reset-before-headers') {
      req.socket.resetAndDestroy();
      return;
    }
    if (current === 'auth-407' || !authorized(req)) {
      res.setHeader('proxy-authenticate', 'Basic realm="sim"');
      answerText(res, 407, 'proxy authentication required');
      req.resume();
      return;
    }
    forwardPlain({
      req,
      res,
      localAddress,
      agent,
      consumedProxyAuth: expectedAuth !== undefined,
      cutAfterHeaders: current === 'reset-after-headers',
    });
  }

  function onConnect(req: IncomingMessage, client: Duplex, head: Buffer): void {
    controls.connects++;
    const current = controls.mode;
    if (current === 'silent') return;
    if (current === 'slow-start') {
      controls.afterSlowStart(() => serveConnect(req, client as Socket, head, 'ok'));
      return;
    }
    serveConnect(req, client as Socket, head, current);
  }

  function serveConnect(req: IncomingMessage, client: Socket, head: Buffer, current: UpstreamMode): void {
    if (client.destroyed) return;
    if (current === 'reset-before-headers') {
      client.resetAndDestroy();
      return;
    }
    if (current === 'auth-407' || !authorized(req)) {
      answerRaw(client, 407, undefined, 'Proxy-Authenticate: Basic realm="sim"\r\n');
      return;
    }
    if (current === 'reject-connect') {
      answerRaw(client, 403);
      return;
    }
    openTunnel({
      authority: req.url ?? '',
      client,
      head,
      localAddress,
      track: (socket) => controls.track(socket),
      cutAfterFirstBytes: current === 'reset-after-headers',
    });
  }

  return controls.start(
    opts,
    (socket) => parser.emit('connection', socket),
    () => agent.destroy(),
  );
}
