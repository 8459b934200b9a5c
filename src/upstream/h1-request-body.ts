/**
 * A client's request body sent on to the upstream as it arrives, with backpressure both ways
 * (the upstream socket full pauses the client's request; its 'drain' resumes it). A body the
 * client framed with Content-Length goes as is (that header is forwarded); one it sent chunked
 * (node:http has decoded it, Transfer-Encoding is hop-by-hop) is chunked again for the upstream.
 * Such a request is never replayed, so the body is read once, by the one attempt that sends it.
 */
import type { IncomingMessage } from 'node:http';
import type net from 'node:net';

export class RequestBody {
  private socket: net.Socket | undefined;
  private done: (() => void) | undefined;
  private readonly onData = (chunk: Buffer): void => this.data(chunk);
  private readonly onEnd = (): void => this.end();

  constructor(
    private readonly req: IncomingMessage,
    /** True when the client sent it chunked: the upstream gets `Transfer-Encoding: chunked`. */
    readonly chunked: boolean,
  ) {}

  start(socket: net.Socket, done: () => void): void {
    this.socket = socket;
    this.done = done;
    this.req.on('data', this.onData);
    this.req.on('end', this.onEnd);
  }

  drained(): void {
    if (this.socket !== undefined) this.req.resume();
  }

  /** The attempt is over (answered whole, failed or cancelled): read no more for it. */
  stop(): void {
    if (this.socket === undefined) return;
    this.socket = undefined;
    this.req.off('data', this.onData);
    this.req.off('end', this.onEnd);
  }

  private data(chunk: Buffer): void {
    const socket = this.socket;
    if (socket === undefined || chunk.length === 0) return;
    let more: boolean;
    if (this.chunked) {
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      more = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else {
      more = socket.write(chunk);
    }
    if (!more) this.req.pause();
  }

  private end(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    if (this.chunked) socket.write('0\r\n\r\n', 'latin1');
    this.stop();
    this.done?.();
  }
}
