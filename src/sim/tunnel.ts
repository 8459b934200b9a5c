/**
 * CONNECT tunnels for the simulated upstream proxy, and the raw answers a proxy gives on a CONNECT socket
 * (which has left Node's HTTP response machinery, so answers are written by hand). The outgoing half (dial,
 * splice) is the same for the SOCKS5 upstream, which uses it too.
 */
import { Socket, connect } from 'node:net';

export interface TunnelOpen extends Pick<Dial, 'localAddress' | 'track'> {
  /** The CONNECT request target, `host:port` (RFC 9110 §9.3.6 authority-form). */
  authority: string;
  /** The client socket, already detached from the HTTP parser. */
  client: Socket;
  /** Bytes the client sent after the CONNECT head; they belong to the tunnel. */
  head: Buffer;
  /** Failure mode `reset-after-headers`: answer 200, relay half the target's first chunk, then cut. */
  cutAfterFirstBytes: boolean;
}

export function openTunnel(t: TunnelOpen): void {
  const { client } = t;
  const dest = parseAuthority(t.authority);
  if (dest === undefined) {
    answerRaw(client, 400, 'Bad Request');
    return;
  }

  const target = dial({
    host: dest.host,
    port: dest.port,
    localAddress: t.localAddress,
    track: t.track,
    onConnect() {
      if (!client.destroyed) client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      splice(client, target, t.head, t.cutAfterFirstBytes);
    },
    onFail: () => answerRaw(client, 502, 'Bad Gateway'),
    onLost: () => client.destroy(),
  });
  // The client leaving tears the tunnel down; the target leaving ends it gracefully via pipe().
  client.on('close', () => target.destroy());
  client.on('error', () => target.destroy());
}

export interface Dial {
  host: string;
  port: number;
  /** Bind the outgoing connection here so the target sees one address per upstream. */
  localAddress: string;
  /** Registers the outgoing socket so the upstream's close() can destroy it. */
  track(socket: Socket): void;
  onConnect(): void;
  /** The connect failed; nothing was established. */
  onFail(err: NodeJS.ErrnoException): void;
  /** The established connection failed. */
  onLost(): void;
}

/**
 * RFC 6761 §6.4: names under `.invalid` never resolve. The simulator answers them as a real gateway
 * answers a host that does not exist (CONNECT 502, SOCKS reply 0x04) without asking any resolver, so
 * tests of "the target's fault" never query real DNS.
 */
function isUnresolvable(host: string): boolean {
  const lower = host.toLowerCase();
  return lower === 'invalid' || lower.endsWith('.invalid');
}

/** Opens an upstream's outgoing connection; exactly one of onConnect / onFail runs, onLost after onConnect. */
export function dial(d: Dial): Socket {
  if (isUnresolvable(d.host)) {
    const none = new Socket();
    const err: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${d.host}`), { code: 'ENOTFOUND' });
    setImmediate(() => d.onFail(err));
    return none;
  }
  const target = connect({ host: d.host, port: d.port, localAddress: d.localAddress });
  let established = false;
  // Before anything else can fail asynchronously: an unhandled 'error' would crash the process.
  target.on('error', (err: NodeJS.ErrnoException) => {
    if (established) d.onLost();
    else d.onFail(err);
  });
  d.track(target);
  target.once('connect', () => {
    established = true;
    d.onConnect();
  });
  return target;
}

/**
 * Joins an established tunnel: the client's early bytes (`head`) first, then both directions piped. With
 * `cutAfterFirstBytes` (mode `reset-after-headers`) the client gets half the target's first chunk, then is cut.
 */
export function splice(client: Socket, target: Socket, head: Buffer, cutAfterFirstBytes: boolean): void {
  if (client.destroyed) {
    target.destroy();
    return;
  }
  if (head.length > 0) target.write(head);
  client.pipe(target);
  if (cutAfterFirstBytes) {
    target.once('data', (chunk: Buffer) => {
      // Unpipe first: a client write into the destroyed target would error and kill the client too early.
      client.unpipe(target);
      target.destroy();
      // Half the first chunk, so even a small answer (the whole /ip response) arrives truncated; destroy only
      // once those bytes reached the kernel, so the client reliably sees "some data, then gone".
      client.write(chunk.subarray(0, Math.max(1, chunk.length >> 1)), () => client.destroy());
    });
    return;
  }
  target.pipe(client);
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  407: 'Proxy Authentication Required',
  502: 'Bad Gateway',
};

/** Answers on a raw socket and ends it: after a refused CONNECT the connection is not reused. */
export function answerRaw(socket: Socket, status: number, reason = REASONS[status] ?? '', extraHeaders = ''): void {
  if (socket.destroyed || !socket.writable) return;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${extraHeaders}Content-Length: 0\r\nConnection: close\r\n\r\n`);
}

interface Authority {
  host: string;
  port: number;
}

function parseAuthority(authority: string): Authority | undefined {
  const colon = authority.lastIndexOf(':');
  if (colon <= 0) return undefined;
  let host = authority.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const portText = authority.slice(colon + 1);
  const port = Number(portText);
  if (portText === '' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}
