/**
 * SOCKS5 peers for tests: the `socks` npm client for whole CONNECTs (a real, independent implementation), and a
 * raw byte-level peer for frames no well-behaved client sends (SOCKS4, BIND, unknown ATYP, silence), with the
 * bits such frames are built from.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { SocksClient } from 'socks';

/** `hex('05 01 00')` → <Buffer 05 01 00>. */
export const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** A port in network byte order, as SOCKS5 frames carry DST.PORT/BND.PORT (RFC 1928 §4). */
export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** A loopback port nothing listens on: bound once, then released (another process may take it in between). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface SocksConnectOptions {
  /** Port of the SOCKS5 server on 127.0.0.1. */
  port: number;
  destination: { host: string; port: number };
  userId?: string;
  password?: string;
  /** The client's own deadline for the whole negotiation. Default 3000. */
  timeoutMs?: number;
}

/** A SOCKS5 CONNECT through the `socks` client; resolves the established tunnel socket. */
export async function socksConnect(opts: SocksConnectOptions): Promise<net.Socket> {
  const { socket } = await SocksClient.createConnection({
    proxy: { host: '127.0.0.1', port: opts.port, type: 5, userId: opts.userId, password: opts.password },
    command: 'connect',
    destination: opts.destination,
    timeout: opts.timeoutMs ?? 3000,
  });
  return socket;
}

/**
 * Sends a raw `GET /ip` over an established tunnel and resolves the echo target's `ip`. The request asks for
 * `Connection: close`, so the answer ends with the tunnel and the socket is gone afterwards.
 */
export function getIpOver(socket: Duplex, host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => done(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
    let settled = false;
    function done(err: Error | undefined): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err !== undefined) {
        reject(err);
        return;
      }
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (!text.startsWith('HTTP/1.1 200') || split < 0) {
        reject(new Error(`unexpected answer: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      try {
        resolve((JSON.parse(text.slice(split + 4)) as { ip: string }).ip);
      } catch (parseError) {
        reject(parseError as Error);
      }
    }
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => done(err));
    socket.on('end', () => done(undefined));
    socket.on('close', () => done(undefined));
    socket.write(`GET /ip HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
  });
}

/** SOCKS5 CONNECT to the echo target, then `GET /ip`: the address the target saw. */
export async function ipViaSocks(opts: SocksConnectOptions): Promise<string> {
  const socket = await socksConnect(opts);
  return getIpOver(socket, opts.destination.host, opts.destination.port);
}

/** How a raw peer's connection ended. */
export interface RawEnding {
  /** Every byte received and not taken by read(). */
  rest: Buffer;
  /** `close` for FIN or our own destroy, else the error code (ECONNRESET …). */
  how: string;
}

/** A raw TCP peer: write bytes, read an exact number back, or wait for the close. */
export class RawPeer {
  readonly socket: net.Socket;
  /** Settles once the socket is closed, with whatever arrived unread. Never rejects. */
  readonly closed: Promise<RawEnding>;
  #buffered: Buffer = Buffer.alloc(0);
  #isClosed = false;
  #how = 'close';
  #wake: (() => void) | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, chunk]);
      this.#wake?.();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#how = err.code ?? 'error';
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.#isClosed = true;
        this.#wake?.();
        resolve({ rest: this.#buffered, how: this.#how });
      });
    });
  }

  static open(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawPeer(socket));
      });
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Exactly `n` bytes; rejects if the peer closes first or nothing complete arrives within `timeoutMs`. */
  async read(n: number, timeoutMs = 2000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.#buffered.length < n) {
      if (this.#isClosed) throw new Error(`closed after ${this.#buffered.length} of ${n} bytes (${this.#buffered.toString('hex')})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.#buffered.length} of ${n} bytes`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    const out = this.#buffered.subarray(0, n);
    this.#buffered = this.#buffered.subarray(n);
    return out;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
