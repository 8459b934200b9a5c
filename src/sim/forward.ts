/**
 * Plain (absolute-URI) forwarding for the simulated upstream proxy: `GET http://host:port/path HTTP/1.1`.
 *
 * The sim upstream is deliberately more transparent than a production proxy: it drops only the headers that
 * would break its own framing or connection management (`Connection`, `Transfer-Encoding`) and the
 * `Proxy-Authorization` it consumed itself. Everything else swivel sent (`Keep-Alive`, `Proxy-Connection`, names
 * listed in `Connection`, a `Proxy-Authorization` it did not ask for) reaches the echo target, so tests can see
 * exactly what swivel forwarded. RFC 9110 §11.7.1 allows relaying credentials a proxy did not consume.
 */
import { request as httpRequest, type Agent, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';

export interface PlainForward {
  req: IncomingMessage;
  res: ServerResponse;
  /** Bind the outgoing connection here so the target sees one address per upstream. */
  localAddress: string;
  /** Keep-alive agent owned by the upstream; destroying it closes every outgoing socket. */
  agent: Agent;
  /** True when this upstream checked (and so consumed) Proxy-Authorization. */
  consumedProxyAuth: boolean;
  /** Failure mode `reset-after-headers`: relay the target's status and headers, then cut the body. */
  cutAfterHeaders: boolean;
}

/** Request headers the sim never relays: its own connection management and framing. */
const DROPPED_REQUEST_HEADERS = new Set(['connection', 'transfer-encoding']);
/** Response headers Node's server must set itself for the client connection. */
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding']);

export function forwardPlain(f: PlainForward): void {
  const { req, res } = f;
  const target = parseAbsoluteHttpUrl(req.url);
  if (target === undefined) {
    // A forward proxy only serves absolute-form (RFC 9112 §3.2.2); origin-form means a misdirected client.
    answerText(res, 400, 'absolute-form http:// URL required');
    req.resume();
    return;
  }

  const headers: OutgoingHttpHeaders = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (DROPPED_REQUEST_HEADERS.has(name)) continue;
    if (name === 'proxy-authorization' && f.consumedProxyAuth) continue;
    if (values !== undefined) headers[name] = values.length === 1 ? values[0] : values;
  }

  const out = httpRequest({
    host: target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname,
    port: target.port === '' ? 80 : Number(target.port),
    method: req.method,
    path: `${target.pathname}${target.search}`,
    headers,
    localAddress: f.localAddress,
    agent: f.agent,
  });

  // The client going away aborts the outgoing request; the outgoing side failing answers 502 if it still can.
  req.on('error', () => out.destroy());
  res.on('close', () => {
    if (!res.writableFinished) out.destroy();
  });
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (!res.headersSent) {
      answerText(res, 502, `bad gateway: ${err.code ?? err.message}`, true);
    } else {
      res.destroy();
    }
  });
  out.on('response', (outRes) => {
    outRes.on('error', () => res.destroy());
    res.writeHead(outRes.statusCode ?? 502, outRes.statusMessage, responseHeaders(outRes));
    if (f.cutAfterHeaders) {
      cutMidBody(res, outRes);
    } else {
      outRes.pipe(res);
    }
  });
  req.pipe(out);
}

/**
 * Sends the status line and headers, then half of the first body chunk, then closes the connection: the client
 * has committed to a response it will never finish. A FIN after flushing (not an RST) makes sure the client
 * really receives the headers before the connection dies; Node clients report it as `ECONNRESET`/`aborted`.
 */
function cutMidBody(res: ServerResponse, outRes: IncomingMessage): void {
  const socket = res.socket;
  res.flushHeaders();
  let cut = false;
  const cutNow = (part?: Buffer): void => {
    if (cut) return;
    cut = true;
    outRes.destroy();
    if (part !== undefined && part.length > 0) res.write(part);
    if (socket === null) return;
    // end() uncorks and flushes what res wrote, then sends FIN; destroy() once it is on the wire.
    socket.end(() => socket.destroy());
  };
  outRes.once('data', (chunk: Buffer) => cutNow(chunk.subarray(0, chunk.length >> 1)));
  outRes.once('end', () => cutNow());
}

function responseHeaders(outRes: IncomingMessage): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, values] of Object.entries(outRes.headersDistinct)) {
    if (DROPPED_RESPONSE_HEADERS.has(name) || values === undefined) continue;
    headers[name] = values.length === 1 ? values[0] : values;
  }
  return headers;
}

function parseAbsoluteHttpUrl(raw: string | undefined): URL | undefined {
  if (raw === undefined || !raw.startsWith('http://')) return undefined;
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

/** A short text answer; `close` also ends the client connection (after a 502 the peer state is unknown). */
export function answerText(res: ServerResponse, status: number, text: string, close = false): void {
  const headers: OutgoingHttpHeaders = { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) };
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}
