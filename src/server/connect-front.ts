/**
 * The HTTP listener's accept path. node:http sets up a parser, an IncomingMessage, eight socket
 * listeners and its own listener wrappers for every connection, and undoes most of it when the
 * request turns out to be CONNECT; a CONNECT client opens a connection per tunnel, so it paid all
 * of that per tunnel (bench/README.md, "Tunnels"). This front takes each new connection first and
 * reads its first bytes: a connection that starts with `CONNECT ` has its head parsed here, by
 * node's own llhttp binding (the parser node:http uses, with the same strictness and the same
 * --max-header-size), and goes straight to the tunnel; anything else is handed to node:http
 * untouched (the bytes read are unshifted first), so plain HTTP, keep-alive and a CONNECT that
 * follows a plain request on one connection keep node:http's path.
 *
 * The limits node:http enforces hold here with the same answers: head size (llhttp's overflow,
 * 431 or 414 by limits.ts), malformed heads (400), header count (431) and request-target length
 * (414) checked by the listener, and the head timeout (408) from the listener's sweep.
 */
import { createRequire } from 'node:module';
import type http from 'node:http';
import type net from 'node:net';

const require = createRequire(import.meta.url);

/** node's llhttp binding (lib/_http_common.js): the parser node:http itself runs. */
interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | (Error & { code?: string; rawPacket?: Buffer });
  free(): void;
  [key: number]: unknown;
}
interface LlhttpParserClass {
  new (): LlhttpParser;
  REQUEST: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kLenientNone: number;
}
const { HTTPParser, methods } = require('_http_common') as { HTTPParser: LlhttpParserClass; methods: string[] };
const CONNECT_METHOD = methods.indexOf('CONNECT');

/** What the front read of a CONNECT head. */
export interface ConnectHead {
  /** The request-target as sent (authority-form expected; the listener checks it). */
  url: string;
  /** The first Proxy-Authorization value (node:http keeps the first of duplicates too). */
  proxyAuthorization: string | undefined;
  /** Header fields, counted (the listener's --max-headers check). */
  headerCount: number;
}

export interface FrontHandlers {
  /** Every accepted connection, first (tracking for drain, the head-timeout sweep). */
  accepted(socket: net.Socket): boolean;
  /** A complete CONNECT head; `early` holds the bytes the client sent after it (maybe none). */
  connect(socket: net.Socket, head: ConnectHead, early: Buffer): void;
  /** A head llhttp refused (the same Error node:http would report as 'clientError'). */
  malformed(socket: net.Socket, err: NodeJS.ErrnoException): void;
}

const CONNECT_SP = Buffer.from('CONNECT ');
const EMPTY = Buffer.alloc(0);

/** The per-connection state of a head that did not come in one read (rare: most do). */
interface Pending {
  /** Bytes read before deciding (fewer than `CONNECT `), or undefined once parsing. */
  bytes: Buffer | undefined;
  parser: LlhttpParser | undefined;
  headers: string[];
  url: string;
}

const kPending = Symbol('swivel.connectHead');
type FrontSocket = net.Socket & { [kPending]?: Pending };

/** Results of the parser's callbacks during one execute() (synchronous, so one slot serves all). */
const parsed: { done: boolean; headers: string[] | undefined; url: string | undefined; method: number } = {
  done: false,
  headers: undefined,
  url: undefined,
  method: -1,
};
/** Where llhttp's flushes go (every 32 fields): the connection's Pending, or this for a first read. */
const scratch: Pending = { bytes: undefined, parser: undefined, headers: [], url: '' };
let flushed: Pending = scratch;

function onHeaders(headers: string[], url: string): void {
  for (let i = 0; i < headers.length; i++) flushed.headers.push(headers[i]!);
  flushed.url += url;
}

function onHeadersComplete(_major: number, _minor: number, headers: string[] | undefined, method: number, url: string | undefined): number {
  parsed.done = true;
  parsed.headers = headers;
  parsed.url = url;
  parsed.method = method;
  return 0;
}

/** Parsers are reused (node:http pools its own the same way). */
const freeParsers: LlhttpParser[] = [];
const ASYNC_RESOURCE = {};

function takeParser(maxHeaderSize: number): LlhttpParser {
  let parser = freeParsers.pop();
  if (parser === undefined) {
    parser = new HTTPParser();
    parser[HTTPParser.kOnHeaders] = onHeaders;
    parser[HTTPParser.kOnHeadersComplete] = onHeadersComplete;
  }
  parser.initialize(HTTPParser.REQUEST, ASYNC_RESOURCE, maxHeaderSize, HTTPParser.kLenientNone);
  return parser;
}

function releaseParser(parser: LlhttpParser): void {
  parser.free();
  if (freeParsers.length < 64) freeParsers.push(parser);
}

export class ConnectFront {
  private readonly nodeHttp: Array<(socket: net.Socket) => void>;
  private readonly onData: (this: net.Socket, chunk: Buffer) => void;

  constructor(
    private readonly server: http.Server,
    private readonly maxHeaderSize: number,
    private readonly handlers: FrontHandlers,
  ) {
    // node:http's own per-connection setup (connectionListener), called for what is not ours.
    this.nodeHttp = server.listeners('connection') as Array<(socket: net.Socket) => void>;
    server.removeAllListeners('connection');
    server.on('connection', (socket: net.Socket) => this.accept(socket));
    // Shared by every connection: `this` is the socket.
    const data = (socket: FrontSocket, chunk: Buffer): void => this.data(socket, chunk);
    this.onData = function onData(this: net.Socket, chunk: Buffer): void {
      data(this, chunk);
    };
  }

  /** Whether a socket is still sending its first head here (the sweep answers it 408). */
  static parsing(socket: net.Socket): boolean {
    return (socket as FrontSocket)[kPending] !== undefined;
  }

  private accept(socket: net.Socket): void {
    if (!this.handlers.accepted(socket)) return;
    socket.on('data', this.onData);
    socket.on('end', endedInFront);
  }

  private data(socket: FrontSocket, chunk: Buffer): void {
    const pending = socket[kPending];
    if (pending === undefined) {
      if (chunk.length >= CONNECT_SP.length) {
        if (startsWithConnect(chunk)) this.parse(socket, undefined, chunk);
        else this.toNodeHttp(socket, chunk);
      } else if (isConnectPrefix(chunk)) {
        socket[kPending] = { bytes: chunk, parser: undefined, headers: [], url: '' };
      } else this.toNodeHttp(socket, chunk);
      return;
    }
    if (pending.bytes !== undefined) {
      const bytes = Buffer.concat([pending.bytes, chunk]);
      if (bytes.length < CONNECT_SP.length) {
        if (isConnectPrefix(bytes)) pending.bytes = bytes;
        else this.toNodeHttp(socket, bytes);
        return;
      }
      pending.bytes = undefined;
      if (startsWithConnect(bytes)) this.parse(socket, pending, bytes);
      else this.toNodeHttp(socket, bytes);
      return;
    }
    this.parse(socket, pending, chunk);
  }

  /** Feed `chunk` to the connection's parser (one is taken for a head's first bytes). */
  private parse(socket: FrontSocket, pending: Pending | undefined, chunk: Buffer): void {
    const parser = pending?.parser ?? takeParser(this.maxHeaderSize);
    if (pending === undefined) {
      scratch.headers.length = 0;
      scratch.url = '';
    }
    flushed = pending ?? scratch;
    parsed.done = false;
    const ret = parser.execute(chunk);
    if (typeof ret !== 'number') {
      // What node:http does with a parse error (prepareError in lib/_http_common.js).
      ret.rawPacket = chunk;
      this.finishHead(socket, parser);
      this.handlers.malformed(socket, ret);
      return;
    }
    if (!parsed.done) {
      if (pending === undefined) {
        socket[kPending] = { bytes: undefined, parser, headers: scratch.headers.slice(), url: scratch.url };
      } else pending.parser = parser;
      return;
    }
    this.finishHead(socket, parser);
    // Fields and target flushed before headers-complete come from the flush store (as in node's
    // parserOnHeadersComplete).
    const store = pending ?? scratch;
    const headers = parsed.headers ?? store.headers;
    const url = parsed.url ?? store.url;
    parsed.headers = undefined;
    if (parsed.method !== CONNECT_METHOD) {
      // Cannot happen (the bytes start with `CONNECT `), but a parser is not to be second-guessed.
      socket.destroy();
      return;
    }
    let proxyAuthorization: string | undefined;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name.length === 19 && name.toLowerCase() === 'proxy-authorization') {
        proxyAuthorization = headers[i + 1];
        break;
      }
    }
    const headerCount = headers.length >> 1;
    const early = ret === chunk.length ? EMPTY : chunk.subarray(ret);
    this.handlers.connect(socket, { url, proxyAuthorization, headerCount }, early);
  }

  /** The head is over (parsed or refused): the socket stops reading until its handler resumes it. */
  private finishHead(socket: FrontSocket, parser: LlhttpParser): void {
    releaseParser(parser);
    socket[kPending] = undefined;
    socket.removeListener('data', this.onData);
    socket.removeListener('end', endedInFront);
    socket.pause();
  }

  /** Not CONNECT: node:http gets the socket as if it had accepted it, the bytes read put back. */
  private toNodeHttp(socket: FrontSocket, bytes: Buffer): void {
    socket[kPending] = undefined;
    socket.removeListener('data', this.onData);
    socket.removeListener('end', endedInFront);
    socket.pause();
    socket.unshift(bytes);
    for (const listener of this.nodeHttp) listener.call(this.server, socket);
    socket.resume();
  }
}

/**
 * The client sent FIN before a head was complete: the listener allows half-open connections (for
 * tunnels), so nothing else would close this one (node:http does the same in its socketOnEnd).
 */
function endedInFront(this: FrontSocket): void {
  const pending = this[kPending];
  if (pending?.parser !== undefined) releaseParser(pending.parser);
  this[kPending] = undefined;
  this.destroy();
}

function startsWithConnect(chunk: Buffer): boolean {
  return chunk.compare(CONNECT_SP, 0, CONNECT_SP.length, 0, CONNECT_SP.length) === 0;
}

/** `CON`, `CONNEC`, …: a head that may still turn out to be CONNECT. */
function isConnectPrefix(bytes: Buffer): boolean {
  return bytes.length > 0 && CONNECT_SP.compare(bytes, 0, bytes.length, 0, bytes.length) === 0;
}
