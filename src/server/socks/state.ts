/**
 * Per-connection SOCKS5 negotiation as a pure state machine over the codec: the I/O wrapper feeds
 * it received bytes and carries out the actions it returns, in order. No sockets or timers here,
 * so the wrapper is a loop over actions plus its negotiation timeout:
 *
 *   write        → socket.write(data)
 *   authenticate → check the pair, then run authResult(ok)'s actions        (only if requireAuth)
 *   connect      → open the upstream tunnel, then run connected(bind) or failed(rep)'s actions
 *   pipe         → stop feeding; send `head` upstream and relay both ways
 *   close        → socket.end() after the writes before it (RFC 1928 §6 and RFC 1929 §2 ask the
 *                  server to close after a failure reply; end() lets the reply reach the client)
 *
 * States: greeting → auth → authenticating → request → connecting → established, or closed from
 * any of them. The actions carry the password: log their types, never the actions themselves.
 */
import { SocksReply, SwivelError } from '../../errors.js';
import {
  Command,
  Method,
  chooseMethod,
  decodeAuthRequest,
  decodeGreeting,
  decodeRequest,
  encodeAuthReply,
  encodeMethodSelection,
  encodeReply,
  type BindAddress,
  type DecodeErrorCode,
  type SocksAddressType,
} from '../../protocol/socks5.js';

export type NegotiationState = 'greeting' | 'auth' | 'authenticating' | 'request' | 'connecting' | 'established' | 'closed';

export type CloseReason = DecodeErrorCode | 'no_acceptable_method' | 'auth_failed' | 'command_not_supported' | 'connect_failed';

export type SocksAction =
  | { type: 'write'; data: Buffer }
  | { type: 'authenticate'; username: string; password: string }
  | {
      type: 'connect';
      host: string;
      port: number;
      atyp: SocksAddressType;
      /** From RFC 1929 sub-negotiation; undefined when the client chose no authentication. */
      username: string | undefined;
      password: string | undefined;
    }
  | { type: 'pipe'; head: Buffer }
  | { type: 'close'; reason: CloseReason };

export interface SocksNegotiationOptions {
  /** Refuse clients that do not authenticate with username/password (RFC 1929). */
  requireAuth: boolean;
  /** Most bytes held before the request is parsed. The largest frame (RFC 1929's) is 513 bytes,
   *  so more than this means a peer that is not negotiating; default 1 KiB. */
  maxHandshakeBytes?: number;
  /** Most bytes the client may send after its request while the tunnel is being opened (clients
   *  with "optimistic data", such as Tor's, send a TLS ClientHello before our reply); default 16 KiB.
   *  The wrapper should also pause reading on 'connect'. */
  maxEarlyDataBytes?: number;
}

export const SOCKS_NEGOTIATION_DEFAULTS = { maxHandshakeBytes: 1024, maxEarlyDataBytes: 16 * 1024 } as const;

const EMPTY = Buffer.alloc(0);

export class SocksNegotiation {
  #state: NegotiationState = 'greeting';
  /** Bytes received and not yet used. Usually the caller's chunk itself: concat only on a split. */
  #pending: Buffer = EMPTY;
  #username: string | undefined;
  #password: string | undefined;
  readonly #requireAuth: boolean;
  readonly #maxHandshakeBytes: number;
  readonly #maxEarlyDataBytes: number;

  constructor(opts: SocksNegotiationOptions) {
    this.#requireAuth = opts.requireAuth;
    this.#maxHandshakeBytes = opts.maxHandshakeBytes ?? SOCKS_NEGOTIATION_DEFAULTS.maxHandshakeBytes;
    this.#maxEarlyDataBytes = opts.maxEarlyDataBytes ?? SOCKS_NEGOTIATION_DEFAULTS.maxEarlyDataBytes;
  }

  get state(): NegotiationState {
    return this.#state;
  }

  /** Bytes from the client, in any split. Takes ownership of `chunk` (it may be handed back in a
   *  pipe head). After close, bytes are ignored; after pipe, feeding is the wrapper's bug. */
  feed(chunk: Buffer): SocksAction[] {
    if (this.#state === 'closed') return [];
    if (this.#state === 'established') throw new SwivelError('internal', 'SOCKS negotiation fed after pipe');
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    return this.#advance([]);
  }

  /** Answer to an 'authenticate' action. */
  authResult(ok: boolean): SocksAction[] {
    this.#expect('authenticating', 'authResult');
    if (!ok) return this.#close([], 'auth_failed', encodeAuthReply(false));
    this.#state = 'request';
    // The client may already have sent its request behind the credentials.
    return this.#advance([{ type: 'write', data: encodeAuthReply(true) }]);
  }

  /** The upstream tunnel is open: reply success and hand over whatever the client sent early. */
  connected(bind?: BindAddress): SocksAction[] {
    this.#expect('connecting', 'connected');
    const head = this.#pending;
    this.#pending = EMPTY;
    this.#state = 'established';
    return [
      { type: 'write', data: encodeReply(SocksReply.SUCCEEDED, bind) },
      { type: 'pipe', head },
    ];
  }

  /** The tunnel could not be opened; `rep` is the RFC 1928 §6 code (see ERRORS[code].socks). */
  failed(rep: number): SocksAction[] {
    this.#expect('connecting', 'failed');
    if (rep === SocksReply.SUCCEEDED) throw new SwivelError('internal', 'failed() needs a non-zero reply code');
    return this.#close([], 'connect_failed', encodeReply(rep));
  }

  #expect(state: NegotiationState, call: string): void {
    if (this.#state !== state) throw new SwivelError('internal', `${call}() called in state ${this.#state}`);
  }

  /** Parse as many frames as the pending bytes hold, then enforce the buffer cap. */
  #advance(actions: SocksAction[]): SocksAction[] {
    while (this.#step(actions));
    const cap = this.#state === 'connecting' ? this.#maxEarlyDataBytes : this.#maxHandshakeBytes;
    if (this.#state !== 'closed' && this.#pending.length > cap) this.#close(actions, 'too_long');
    return actions;
  }

  /** One frame in the current state; true when it moved on and the next frame may be pending. */
  #step(actions: SocksAction[]): boolean {
    switch (this.#state) {
      case 'greeting':
        return this.#onGreeting(actions);
      case 'auth':
        return this.#onAuth(actions);
      case 'request':
        return this.#onRequest(actions);
      default:
        return false; // waiting for the caller (authenticating, connecting) or done
    }
  }

  #onGreeting(actions: SocksAction[]): boolean {
    const r = decodeGreeting(this.#pending);
    if (r.kind === 'incomplete') return false;
    if (r.kind === 'error') {
      // SOCKS4 or not SOCKS at all (an HTTP request on the wrong port): any bytes we wrote would
      // be garbage to the peer, so close without writing; the client sees EOF, not a hang.
      // NMETHODS 0 is a SOCKS5 client offering nothing: RFC 1928 §3's X'FF' is the answer.
      const last = r.code === 'bad_frame' ? encodeMethodSelection(Method.NO_ACCEPTABLE) : undefined;
      this.#close(actions, r.code, last);
      return false;
    }
    this.#consume(r.consumed);
    const method = chooseMethod(r.value.methods, this.#requireAuth);
    if (method === Method.NO_ACCEPTABLE) {
      this.#close(actions, 'no_acceptable_method', encodeMethodSelection(Method.NO_ACCEPTABLE));
      return false;
    }
    actions.push({ type: 'write', data: encodeMethodSelection(method) });
    this.#state = method === Method.USER_PASS ? 'auth' : 'request';
    return true;
  }

  #onAuth(actions: SocksAction[]): boolean {
    const r = decodeAuthRequest(this.#pending);
    if (r.kind === 'incomplete') return false;
    // RFC 1929 §2: a failure STATUS, then close. A client that sent a malformed sub-negotiation
    // still reads a 2-byte status, so it learns why rather than seeing a bare EOF.
    if (r.kind === 'error') {
      this.#close(actions, r.code, encodeAuthReply(false));
      return false;
    }
    this.#consume(r.consumed);
    this.#username = r.value.username;
    this.#password = r.value.password;
    if (!this.#requireAuth) {
      // USER_PASS was chosen only for the routing selectors in the username (see chooseMethod):
      // there is no password to check, so accept without a round trip through the caller.
      actions.push({ type: 'write', data: encodeAuthReply(true) });
      this.#state = 'request';
      return true;
    }
    actions.push({ type: 'authenticate', username: r.value.username, password: r.value.password });
    this.#state = 'authenticating';
    return false;
  }

  #onRequest(actions: SocksAction[]): boolean {
    const r = decodeRequest(this.#pending);
    if (r.kind === 'incomplete') return false;
    if (r.kind === 'error') {
      this.#close(actions, r.code, encodeReply(replyFor(r.code)));
      return false;
    }
    this.#consume(r.consumed);
    const { cmd, host, port, atyp } = r.value;
    if (cmd !== Command.CONNECT) {
      // BIND and UDP ASSOCIATE are valid SOCKS5 that swivel does not relay: RFC 1928 §6 X'07'.
      this.#close(actions, 'command_not_supported', encodeReply(SocksReply.COMMAND_NOT_SUPPORTED));
      return false;
    }
    actions.push({ type: 'connect', host, port, atyp, username: this.#username, password: this.#password });
    this.#state = 'connecting';
    return false;
  }

  #consume(n: number): void {
    this.#pending = n >= this.#pending.length ? EMPTY : this.#pending.subarray(n);
  }

  /** Optionally write a last frame, then close; returns `actions` for the public methods. */
  #close(actions: SocksAction[], reason: CloseReason, last?: Buffer): SocksAction[] {
    if (last !== undefined) actions.push({ type: 'write', data: last });
    actions.push({ type: 'close', reason });
    this.#state = 'closed';
    this.#pending = EMPTY;
    this.#username = undefined;
    this.#password = undefined;
    return actions;
  }
}

/** RFC 1928 §6 code for a request the codec refused; the reply is sent before closing. */
function replyFor(code: DecodeErrorCode): number {
  if (code === 'bad_command') return SocksReply.COMMAND_NOT_SUPPORTED;
  if (code === 'bad_atyp') return SocksReply.ADDRESS_TYPE_NOT_SUPPORTED;
  return SocksReply.GENERAL_FAILURE; // wrong VER, non-zero RSV, empty domain name
}
