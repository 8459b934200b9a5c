/**
 * A TCP listener that can stop and listen again on the SAME port. The simulated upstream needs this for mode
 * `refuse`: a node that went away answers connects with ECONNREFUSED, yet when it comes back it must be
 * reachable at the `host:port` the provider already handed out.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** Re-listening on the same port can briefly fail with EADDRINUSE; ~1 s of retries, then give up loudly. */
const RELISTEN_ATTEMPTS = 40;
const RELISTEN_PAUSE_MS = 25;

export class ReopenableListener {
  readonly host: string;
  readonly port: number;
  #onAccept: (socket: Socket) => void;
  #server: Server | undefined;
  /** Whether the owner wants to be listening; a re-listen finishing after stop() must not leave one open. */
  #wanted = true;
  #closed = false;
  #reopening: Promise<void> | undefined;

  private constructor(server: Server, host: string, onAccept: (socket: Socket) => void) {
    this.#server = server;
    this.host = host;
    this.port = (server.address() as AddressInfo).port;
    this.#onAccept = onAccept;
  }

  static async open(onAccept: (socket: Socket) => void, port: number, host: string): Promise<ReopenableListener> {
    return new ReopenableListener(await listenOn(onAccept, port, host), host, onAccept);
  }

  /** Stops accepting now: the listening socket is closed synchronously, so new connects are refused. */
  stop(): void {
    this.#wanted = false;
    this.#server?.close();
    this.#server = undefined;
  }

  /** Listens again on the same port; settles once listening, rejects if the port stays taken. */
  reopen(): Promise<void> {
    this.#wanted = true;
    if (this.#server !== undefined || this.#closed) return Promise.resolve();
    this.#reopening ??= listenWithRetry(this.#onAccept, this.port, this.host).then(
      (server) => {
        this.#reopening = undefined;
        if (this.#wanted && !this.#closed) {
          this.#server = server;
        } else {
          server.close();
        }
      },
      (err: unknown) => {
        this.#reopening = undefined;
        throw err;
      },
    );
    return this.#reopening;
  }

  /**
   * Stops for good. Resolves once the listening socket is released and the connections it accepted are gone,
   * so the caller must destroy those. Never rejects.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wanted = false;
    const server = this.#server;
    this.#server = undefined;
    const stopped = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([stopped, this.#reopening?.catch(() => {})]);
  }
}

/** Listens on `host:port` (0: an ephemeral port); resolves the port once listening, rejects if listen fails. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function listenOn(onAccept: (socket: Socket) => void, port: number, host: string): Promise<Server> {
  const server = createServer(onAccept);
  await listen(server, port, host);
  return server;
}

async function listenWithRetry(onAccept: (socket: Socket) => void, port: number, host: string): Promise<Server> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await listenOn(onAccept, port, host);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' || attempt >= RELISTEN_ATTEMPTS) throw err;
      await new Promise<void>((resolve) => setTimeout(resolve, RELISTEN_PAUSE_MS));
    }
  }
}
