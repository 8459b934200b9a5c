/**
 * Small HTTP clients for integration tests, speaking to swivel over real loopback sockets.
 * Every request uses its own connection (`agent: false`) so nothing lingers after a test, and every
 * helper is bounded by a timeout so a hung proxy fails the test instead of the whole run.
 */
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ProxyCredentials {
  /** Sent as Proxy-Authorization: Basic; may carry selection pairs (`session-abc-country-de`). */
  username?: string;
  /** Default `x` when only a username is given. */
  password?: string;
}

export interface ProxyRequestOptions extends ProxyCredentials {
  /** swivel's HTTP listener port on 127.0.0.1. */
  proxyPort: number;
  /** Absolute http:// URL of the target. */
  url: string;
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string;
  timeoutMs?: number;
}

export interface TunnelOptions extends ProxyCredentials {
  proxyPort: number;
  /** The CONNECT target. */
  host: string;
  port: number;
  headers?: OutgoingHttpHeaders;
  timeoutMs?: number;
}

/**
 * The CONNECT answer's status and headers. When the tunnel opened (200), `body` is the body of the
 * `GET /ip` sent inside it and `inner` its status and headers; otherwise `body` is the proxy's own body.
 */
export interface TunnelReply extends Reply {
  inner?: { status: number; headers: Record<string, string> };
  /** `ip` from the inner JSON body, when there was one. */
  ip?: string;
}

const DEFAULT_TIMEOUT_MS = 2_500;

export function basicAuth(username: string, password = 'x'): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

function withAuth(headers: OutgoingHttpHeaders | undefined, creds: ProxyCredentials): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ...headers };
  if (creds.username !== undefined) out['proxy-authorization'] = basicAuth(creds.username, creds.password);
  return out;
}

/** Any method through the proxy, absolute-form request target. */
export function proxyRequest(opts: ProxyRequestOptions): Promise<Reply> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers = withAuth(opts.headers, opts);
  headers.host ??= new URL(opts.url).host;
  if (opts.body !== undefined) headers['content-length'] ??= Buffer.byteLength(opts.body);
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: opts.proxyPort, method: opts.method ?? 'GET', path: opts.url, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    const timer = setTimeout(
      () => fail(new Error(`${opts.method ?? 'GET'} ${opts.url} via :${opts.proxyPort} timed out after ${timeoutMs}ms`)),
      timeoutMs,
    );
    function done(reply: Reply): void {
      clearTimeout(timer);
      resolve(reply);
    }
    function fail(err: Error): void {
      clearTimeout(timer);
      req.destroy();
      reject(err);
    }
    req.on('error', fail);
    req.end(opts.body);
  });
}

export function proxyGet(
  proxyPort: number,
  url: string,
  creds: ProxyCredentials & { headers?: OutgoingHttpHeaders; timeoutMs?: number } = {},
): Promise<Reply> {
  return proxyRequest({ ...creds, proxyPort, url });
}

export function proxyPost(
  proxyPort: number,
  url: string,
  body: string,
  creds: ProxyCredentials & { headers?: OutgoingHttpHeaders; timeoutMs?: number } = {},
): Promise<Reply> {
  return proxyRequest({ ...creds, proxyPort, url, method: 'POST', body });
}

/** `ip` of a `GET /ip` answer from the echo target. */
export function ipOf(reply: Reply): string {
  if (reply.status !== 200) throw new Error(`expected 200, got ${reply.status}: ${reply.body}`);
  return (JSON.parse(reply.body) as { ip: string }).ip;
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parse a complete HTTP/1.1 response (Content-Length framed or ended by close). */
function parseRawResponse(raw: Buffer): RawResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const lines = raw.toString('latin1', 0, end).split('\r\n');
  const status = Number(lines[0]?.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = raw.subarray(end + 4);
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  if (length !== undefined && rest.length < length) return undefined;
  return { status, headers, body: rest.subarray(0, length ?? rest.length).toString('utf8') };
}

/** Collect bytes from `socket` (starting with `head`) until `complete` says so or the peer closes. */
function readUntil(socket: Socket, head: Buffer, complete: (raw: Buffer) => boolean, onDone: (raw: Buffer) => void): void {
  let raw = head;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    socket.off('data', onData);
    onDone(raw);
  };
  const onData = (chunk: Buffer): void => {
    raw = Buffer.concat([raw, chunk]);
    if (complete(raw)) finish();
  };
  socket.on('data', onData);
  socket.once('end', finish);
  socket.once('close', finish);
  socket.on('error', finish);
  if (complete(raw)) finish();
}

/**
 * CONNECT through the proxy (node:http, method CONNECT), then a raw `GET /ip HTTP/1.1` inside the
 * tunnel; resolves the CONNECT status and headers with the inner answer's body and parsed `ip`.
 */
export function connectGetIp(opts: TunnelOptions): Promise<TunnelReply> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const authority = `${opts.host}:${opts.port}`;
  const headers = withAuth(opts.headers, opts);
  headers.host ??= authority;
  return new Promise<TunnelReply>((resolve, reject) => {
    let tunnel: Socket | undefined;
    const req = http.request({ host: '127.0.0.1', port: opts.proxyPort, method: 'CONNECT', path: authority, headers, agent: false });
    const timer = setTimeout(
      () => fail(new Error(`CONNECT ${authority} via :${opts.proxyPort} timed out after ${timeoutMs}ms`)),
      timeoutMs,
    );
    function done(reply: TunnelReply): void {
      clearTimeout(timer);
      tunnel?.destroy();
      resolve(reply);
    }
    function fail(err: Error): void {
      clearTimeout(timer);
      tunnel?.destroy();
      req.destroy();
      reject(err);
    }
    req.on('error', fail);
    // node:http emits 'connect' for every answer to a CONNECT, whatever its status.
    req.on('connect', (res: http.IncomingMessage, socket: Socket, head: Buffer) => {
      tunnel = socket;
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        // After the head, the proxy's own answer carries a Content-Length framed body.
        const length = Number(res.headers['content-length'] ?? NaN);
        readUntil(
          socket,
          head,
          (raw) => raw.length >= length,
          (raw) => done({ status, headers: res.headers, body: raw.toString('utf8') }),
        );
        return;
      }
      const complete = (raw: Buffer): boolean => parseRawResponse(raw)?.headers['content-length'] !== undefined;
      readUntil(socket, head, complete, (raw) => {
        const inner = parseRawResponse(raw);
        if (inner === undefined) {
          fail(
            new Error(
              `tunnel to ${authority} closed before a whole answer (${raw.length} bytes: ${JSON.stringify(raw.toString('latin1'))})`,
            ),
          );
          return;
        }
        let ip: string | undefined;
        try {
          ip = (JSON.parse(inner.body) as { ip?: string }).ip;
        } catch {
          ip = undefined;
        }
        done({ status, headers: res.headers, body: inner.body, inner: { status: inner.status, headers: inner.headers }, ip });
      });
      socket.write(`GET /ip HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`);
    });
    req.end();
  });
}
