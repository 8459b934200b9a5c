/**
 * Raw bytes to a listener and what came back: for heads node's client would refuse to send
 * (oversized, malformed, slowloris). Bounded by a timeout; the socket is always destroyed.
 */
import net from 'node:net';

export interface RawAnswer {
  /** Everything received, latin1. */
  text: string;
  /** Status of the first status line, or 0. */
  status: number;
  /** True when the peer closed (FIN or reset) before the timeout. */
  closed: boolean;
  /** ms from connect until close (or the timeout). */
  elapsedMs: number;
}

export function rawExchange(port: number, bytes: string | Buffer | undefined, timeoutMs = 3000): Promise<RawAnswer> {
  return collect(port, timeoutMs, (socket) => {
    if (bytes !== undefined) socket.write(bytes);
  });
}

/**
 * Write `parts` one after another with a pause between each (so the listener sees separate reads:
 * a head split across many packets), collect everything until close.
 */
export function rawExchangeInParts(port: number, parts: ReadonlyArray<string | Buffer>, gapMs = 2, timeoutMs = 5000): Promise<RawAnswer> {
  return collect(port, timeoutMs, (socket) => {
    socket.setNoDelay(true);
    let i = 0;
    const next = (): void => {
      if (i >= parts.length || socket.destroyed) return;
      socket.write(parts[i++]!);
      setTimeout(next, gapMs);
    };
    next();
  });
}

/** Connect, let `send` write once connected, and resolve with everything read until close or `timeoutMs`. */
function collect(port: number, timeoutMs: number, send: (socket: net.Socket) => void): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: m === null ? 0 : Number(m[1]), closed, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.once('connect', () => send(socket));
  });
}

/** Header value from a raw answer, or undefined. */
export function rawHeader(answer: RawAnswer, name: string): string | undefined {
  const re = new RegExp(`^${name}: *(.*)$`, 'im');
  const m = re.exec(answer.text);
  return m === null ? undefined : m[1]!.trim();
}
