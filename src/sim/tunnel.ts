/**
 * CONNECT tunnels for the simulated upstream proxy, and the raw answers a proxy gives on a CONNECT socket
 * (which has left Node's HTTP response machinery, so answers are written by hand).
 */
import { connect, type Socket } from 'node:net';

export interface TunnelOpen {
  /** The CONNECT request target, `host:port` (RFC 9110 §9.3.6 authority-form). */
  authority: string;
  /** The client socket, already detached from the HTTP parser. */
  client: Socket;
  /** Bytes the client sent after the CONNECT head; they belong to the tunnel. */
  head: Buffer;
  /** Bind the outgoing connection here so the target sees one address per upstream. */
  localAddress: string;
  /** Registers the outgoing socket so the upstream's close() can destroy it. */
  track(socket: Socket): void;
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

  const target = connect({ host: dest.host, port: dest.port, localAddress: t.localAddress });
  let established = false;
  // Before anything else can fail asynchronously: an unhandled 'error' would crash the process.
  target.on('error', () => {
    if (established) {
      client.destroy();
    } else {
      answerRaw(client, 502, 'Bad Gateway');
    }
  });
  t.track(target);
  // The client leaving tears the tunnel down; the target leaving ends it gracefully via pipe().
  client.on('close', () => target.destroy());
  client.on('error', () => target.destroy());

  target.once('connect', () => {
    established = true;
    if (client.destroyed) {
      target.destroy();
      return;
    }
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (t.head.length > 0) target.write(t.head);
    client.pipe(target);
    if (t.cutAfterFirstBytes) {
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
  });
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
