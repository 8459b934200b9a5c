/**
 * Identical duplicated Content-Length values, accepted as one (RFC 9110 §8.6, RFC 9112 §6.3: a
 * list whose values are all valid and all the same is processed with that single value; anything
 * else is an unrecoverable framing error). node:http's llhttp refuses every list, `5, 5` and two
 * `Content-Length: 5` lines alike, and its only switch (insecureHTTPParser) relaxes far more than
 * that. So the strict parser stays, and the one request it refused for this reason alone is
 * repaired after the fact: the head is rewritten with the single value and handed to node:http
 * again on a fresh parser. This runs only on that parser error, never on the request path.
 *
 * Conservative on purpose: only the first request of a connection (nothing earlier in the packet
 * to replay), only a head that arrived whole in the packet llhttp reports, never with
 * Transfer-Encoding, never for CONNECT; and the repaired connection serves that one request and
 * closes (Connection: close), so no second request rides on a stitched-up stream.
 */
import { createRequire } from 'node:module';
import type http from 'node:http';
import type net from 'node:net';
import { Duplex } from 'node:stream';

const require = createRequire(import.meta.url);
/** node:http's own parser release: unconsumes the socket, leaves the timeout sweep, returns the parser to its pool. */
const { freeParser } = require('_http_common') as { freeParser: (parser: unknown, req: unknown, socket: unknown) => void };

const CRLF = '\r\n';
const HEAD_END = '\r\n\r\n';
/** A request line llhttp would take, not CONNECT (which has no content, RFC 9110 §9.3.6). */
const REQUEST_LINE = /^(?!CONNECT )[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^\s]+ HTTP\/1\.[01]$/;
const DIGITS = /^[0-9]{1,15}$/;

/**
 * The packet with its Content-Length list folded to the one value, or undefined when the head is
 * not exactly "valid otherwise, with identical Content-Length values".
 */
export function foldContentLength(packet: Buffer): Buffer | undefined {
  const text = packet.toString('latin1');
  const end = text.indexOf(HEAD_END);
  if (end <= 0) return undefined;
  const lines = text.slice(0, end).split(CRLF);
  if (!REQUEST_LINE.test(lines[0]!)) return undefined;
  let value: string | undefined;
  let count = 0;
  let first = -1;
  const kept: string[] = [lines[0]!];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).toLowerCase();
    if (name === 'transfer-encoding') return undefined;
    if (name !== 'content-length') {
      kept.push(line);
      continue;
    }
    for (const part of line.slice(colon + 1).split(',')) {
      const v = part.trim();
      if (!DIGITS.test(v) || (value !== undefined && v !== value)) return undefined;
      value = v;
      count++;
    }
    if (first === -1) {
      first = kept.length;
      kept.push(`Content-Length: ${value}`);
    }
  }
  if (value === undefined || count < 2) return undefined;
  return Buffer.concat([Buffer.from(kept.join(CRLF) + HEAD_END, 'latin1'), packet.subarray(end + HEAD_END.length)]);
}

/**
 * node:http's per-connection listeners (Node 20), removed before the socket is handed over again.
 * Its 'error' listener has already replaced itself with a no-op by the time clientError fires.
 */
const NODE_HTTP_LISTENERS: ReadonlyArray<[string, string]> = [
  ['data', 'bound socketOnData'],
  ['end', 'bound socketOnEnd'],
  ['close', 'bound socketOnClose'],
  ['drain', 'bound socketOnDrain'],
  ['timeout', 'socketOnTimeout'],
  ['resume', 'onSocketResume'],
  ['pause', 'onSocketPause'],
];

const REPAIRED = Symbol('swivel.contentLengthRepaired');

/** True for the stream of a connection whose first request was repaired: answer it with Connection: close. */
export function isRepaired(socket: net.Socket): boolean {
  return (socket as net.Socket & { [REPAIRED]?: true })[REPAIRED] === true;
}

/**
 * On llhttp's Content-Length error: when the packet folds, hand the connection to `server` again
 * with the folded head in front and return true; otherwise false (answer 400 as usual).
 */
export function retryWithFoldedContentLength(
  server: http.Server,
  socket: net.Socket,
  err: NodeJS.ErrnoException & { rawPacket?: Buffer },
  firstRequest: boolean,
): boolean {
  if (err.code !== 'HPE_INVALID_CONTENT_LENGTH' && err.code !== 'HPE_UNEXPECTED_CONTENT_LENGTH') return false;
  if (!firstRequest || err.rawPacket === undefined) return false;
  const folded = foldContentLength(err.rawPacket);
  if (folded === undefined) return false;
  const owned = NODE_HTTP_LISTENERS.map(([event, name]) => [event, socket.listeners(event).find((f) => f.name === name)] as const);
  // Another Node's internals: keep llhttp's refusal rather than guess.
  if (owned.some(([, f]) => f === undefined)) return false;
  for (const [event, f] of owned) socket.off(event, f as (...args: unknown[]) => void);
  freeParser((socket as net.Socket & { parser?: unknown }).parser, undefined, socket);
  socket.on('error', () => socket.destroy());
  server.emit('connection', streamOver(socket, folded));
  return true;
}

/** A duplex that reads `first`, then the socket's further bytes, and writes to the socket. */
function streamOver(socket: net.Socket, first: Buffer): net.Socket {
  const stream = new Duplex({
    read: () => {
      socket.resume();
    },
    write: (chunk: Buffer, _encoding, done) => {
      socket.write(chunk, done);
    },
    final: (done) => {
      socket.end();
      done();
    },
    destroy: (err, done) => {
      socket.destroy();
      done(err);
    },
  });
  stream.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  const view = stream as unknown as net.Socket;
  (view as net.Socket & { [REPAIRED]?: true })[REPAIRED] = true;
  // What node:http and the listener read off a socket.
  for (const key of ['remoteAddress', 'remotePort', 'remoteFamily', 'localAddress', 'localPort', 'bytesRead', 'bytesWritten'] as const) {
    Object.defineProperty(view, key, { get: () => socket[key] });
  }
  view.setTimeout = ((ms: number, cb?: () => void) => {
    socket.setTimeout(ms, cb);
    return view;
  }) as net.Socket['setTimeout'];
  view.setNoDelay = () => view;
  view.setKeepAlive = () => view;
  return view;
}
