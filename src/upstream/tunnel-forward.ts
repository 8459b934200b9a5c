/**
 * Plain-HTTP forwarding for upstreams that only tunnel (SOCKS5): open a tunnel to the target's
 * host:port through the endpoint, then speak HTTP/1.1 to the target over it in origin-form
 * (RFC 9112 §3.2.1), as a browser behind a SOCKS proxy would. One tunnel per request: SOCKS
 * upstreams bill and rotate per connection, so reusing one across requests would pin an exit IP.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { SwivelError } from '../errors.js';
import { upstreamErrorFromSystem } from '../errno.js';
import { forwardRequestHeaders, stripResponseHeaders } from '../protocol/hop-headers.js';
import type { DialCancel, Tunnel, TunnelOpener } from './types.js';
import { hasBody, type Delivery, type Forwarder, type UpstreamAnswer } from './http-forward.js';

export interface TunnelForwardOptions {
  openTunnel: TunnelOpener;
  responseTimeoutMs: number;
}

export function createTunnelForwarder(options: TunnelForwardOptions): Forwarder {
  return async (req, targetUrl, endpoint, ctl) => {
    const url = new URL(targetUrl);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const tunnel = await options.openTunnel(endpoint, host, Number(url.port) || 80, ctl);
    if (ctl.cancelled) {
      tunnel.socket.destroy();
      throw new SwivelError('client_closed', 'client closed the connection');
    }
    if (tunnel.head.length > 0) tunnel.socket.unshift(tunnel.head);
    return requestOverTunnel(req, url, tunnel, options.responseTimeoutMs, ctl);
  };
}

/** The target's answer read by node:http's client parser, streamed with the callback pipeline. */
class TunnelAnswer implements UpstreamAnswer {
  constructor(
    private readonly response: IncomingMessage,
    private readonly tunnel: Tunnel,
  ) {}

  get statusCode(): number {
    return this.response.statusCode ?? 502;
  }

  deliver(res: ServerResponse, close: boolean, delivery: Delivery): void {
    const headers = stripResponseHeaders(this.response.headers);
    if (close) headers.connection = 'close';
    res.writeHead(this.statusCode, headers as Record<string, string | string[]>);
    pipeline(this.response, res, (err) => {
      // Headers are out: nothing may be written after the fact; cutting the socket tells the client.
      if (err) res.destroy();
      delivery.delivered(!err);
    });
  }

  discard(): void {
    this.response.destroy();
    this.tunnel.socket.destroy();
  }
}

function requestOverTunnel(
  req: IncomingMessage,
  url: URL,
  tunnel: Tunnel,
  responseTimeoutMs: number,
  ctl: DialCancel,
): Promise<UpstreamAnswer> {
  return new Promise<UpstreamAnswer>((resolve, reject) => {
    const headers = forwardRequestHeaders(req.rawHeaders, req.headers.connection);
    headers.push('connection', 'close');
    const out = http.request({
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
      // No `agent`: node:http only calls createConnection when no agent is given (false counts as one).
      createConnection: () => tunnel.socket,
    });
    ctl.onCancel = () => out.destroy(new SwivelError('client_closed', 'client closed the connection'));
    // The handshake left the socket paused so no byte was lost; node:http has attached its parser
    // by the time it emits 'socket', so reading can start there.
    out.once('socket', (socket) => socket.resume());
    let answered = false;
    const timer = setTimeout(() => {
      out.destroy(new SwivelError('upstream_timeout', 'target did not answer through the upstream in time'));
    }, responseTimeoutMs);
    out.on('response', (res) => {
      answered = true;
      ctl.onCancel = undefined;
      clearTimeout(timer);
      resolve(new TunnelAnswer(res, tunnel));
    });
    out.on('error', (err) => {
      clearTimeout(timer);
      tunnel.socket.destroy();
      if (answered) return;
      if (ctl.cancelled) reject(new SwivelError('client_closed', 'client closed the connection', { cause: err }));
      else reject(err instanceof SwivelError ? err : upstreamErrorFromSystem(err, 'relay'));
    });
    if (hasBody(req)) req.pipe(out);
    else out.end();
  });
}
