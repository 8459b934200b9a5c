/**
 * SOCKS5 wire format (RFC 1928) and its username/password sub-negotiation (RFC 1929) as pure
 * functions over Buffers: no sockets, no timers, no state. Each decoder takes the bytes received so
 * far and answers 'incomplete' (wait for more), 'ok' with how many bytes the frame used (anything
 * after it belongs to the next frame or to the tunnel), or 'error'. Every length is checked before
 * the bytes it covers are read, so a truncated frame is 'incomplete', never an out-of-range read.
 * Server side: decodeGreeting, chooseMethod, decodeAuthRequest, decodeRequest and the encoders of
 * their answers. Client side (swivel speaking to an upstream, and tests): the mirror images.
 */
import { SwivelError } from '../errors.js';
import { formatIPv6, parseIPv4, parseIPv6 } from './ip.js';

export const SOCKS_VERSION = 0x05;
/** RFC 1929 §2: the sub-negotiation has its own version byte, X'01', not X'05'. */
export const AUTH_VERSION = 0x01;
/** RFC 1928 §3 METHOD values. */
export const Method = { NO_AUTH: 0x00, GSSAPI: 0x01, USER_PASS: 0x02, NO_ACCEPTABLE: 0xff } as const;
/** RFC 1928 §4 CMD values. */
export const Command = { CONNECT: 0x01, BIND: 0x02, UDP_ASSOCIATE: 0x03 } as const;
/** RFC 1928 §5 ATYP values. */
export const AddressType = { IPV4: 0x01, DOMAIN: 0x03, IPV6: 0x04 } as const;

export type SocksCommand = (typeof Command)[keyof typeof Command];
export type SocksAddressType = (typeof AddressType)[keyof typeof AddressType];

/** 'too_long' is never produced here (every frame's size is bounded by its length bytes); the
 *  negotiation uses it when a peer piles up more bytes than a handshake can need. */
export type DecodeErrorCode = 'bad_version' | 'socks4' | 'bad_frame' | 'bad_atyp' | 'bad_command' | 'too_long';
export type DecodeError = { kind: 'error'; code: DecodeErrorCode; detail: string };
export type DecodeResult<T> = { kind: 'incomplete' } | { kind: 'ok'; value: T; consumed: number } | DecodeError;

export interface Greeting {
  methods: Buffer;
}
export interface AuthRequest {
  username: string;
  password: string;
}
export interface SocksAddress {
  atyp: SocksAddressType;
  host: string;
  port: number;
}
export interface SocksRequest extends SocksAddress {
  cmd: SocksCommand;
}
export interface SocksReplyFrame extends SocksAddress {
  rep: number;
}
export interface BindAddress {
  atyp: 1 | 4;
  host: string;
  port: number;
}

const INCOMPLETE: { kind: 'incomplete' } = Object.freeze({ kind: 'incomplete' });
const fail = (code: DecodeErrorCode, detail: string): DecodeError => ({ kind: 'error', code, detail });
const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** RFC 1928 §3: VER | NMETHODS | METHODS(1..255). */
export function decodeGreeting(buf: Buffer): DecodeResult<Greeting> {
  if (buf.length < 1) return INCOMPLETE;
  const ver = buf.readUInt8(0);
  // A SOCKS4 request starts with VN=4 and expects a reply we don't speak; naming it lets the
  // caller close at once instead of waiting for a greeting that will never come.
  if (ver === 0x04) return fail('socks4', 'SOCKS4 request on a SOCKS5 port');
  if (ver !== SOCKS_VERSION) return fail('bad_version', `greeting version ${hex(ver)}`);
  if (buf.length < 2) return INCOMPLETE;
  const nMethods = buf.readUInt8(1);
  if (nMethods === 0) return fail('bad_frame', 'NMETHODS is 0');
  const end = 2 + nMethods;
  if (buf.length < end) return INCOMPLETE;
  // Copied so the caller may keep it without pinning the whole received chunk.
  return { kind: 'ok', value: { methods: Buffer.from(buf.subarray(2, end)) }, consumed: end };
}

/**
 * Pick the METHOD for RFC 1928 §3's selection message. USER_PASS wins whenever offered, even when
 * auth is optional, because the username carries routing selectors (`session-abc-country-de`).
 * GSSAPI (X'01', which §3 says compliant implementations MUST support) is never chosen: swivel
 * is a local proxy and has no Kerberos to offer; clients fall back to the other methods they list.
 */
export function chooseMethod(offered: Uint8Array | Buffer, requireAuth: boolean): number {
  if (offered.includes(Method.USER_PASS)) return Method.USER_PASS;
  if (!requireAuth && offered.includes(Method.NO_AUTH)) return Method.NO_AUTH;
  return Method.NO_ACCEPTABLE;
}

/**
 * The server's answers that never vary are encoded once: a written Buffer is only read, so one
 * instance serves every connection (callers must not modify what these return).
 */
const METHOD_SELECTIONS = new Map<number, Buffer>(
  [Method.NO_AUTH, Method.USER_PASS, Method.NO_ACCEPTABLE].map((m) => [m, Buffer.from([SOCKS_VERSION, m])]),
);
const AUTH_OK = Buffer.from([AUTH_VERSION, 0x00]);
const AUTH_FAILED = Buffer.from([AUTH_VERSION, 0x01]);
/** Replies with the default bind (IPv4 0.0.0.0:0), by REP. */
const DEFAULT_BIND_REPLIES: Buffer[] = [];

/** RFC 1928 §3: VER | METHOD. After X'FF' the client MUST close the connection. */
export function encodeMethodSelection(method: number): Buffer {
  return METHOD_SELECTIONS.get(method) ?? Buffer.from([SOCKS_VERSION, byte(method, 'method')]);
}

/**
 * RFC 1929 §2: VER(1) | ULEN | UNAME(1..255) | PLEN | PASSWD(1..255). PLEN 0 is accepted although
 * the RFC says 1..255: clients such as curl send an empty password for `socks5://user@host`, and
 * here the username alone can carry the routing selectors. The RFC names no charset; UTF-8 is
 * what clients send in practice (invalid sequences decode to U+FFFD and simply fail the check).
 */
export function decodeAuthRequest(buf: Buffer): DecodeResult<AuthRequest> {
  if (buf.length < 1) return INCOMPLETE;
  const ver = buf.readUInt8(0);
  if (ver !== AUTH_VERSION) return fail('bad_version', `auth sub-negotiation version ${hex(ver)}`);
  if (buf.length < 2) return INCOMPLETE;
  const uLen = buf.readUInt8(1);
  if (uLen === 0) return fail('bad_frame', 'ULEN is 0');
  const pLenAt = 2 + uLen;
  if (buf.length < pLenAt + 1) return INCOMPLETE;
  const end = pLenAt + 1 + buf.readUInt8(pLenAt);
  if (buf.length < end) return INCOMPLETE;
  const value = { username: buf.toString('utf8', 2, pLenAt), password: buf.toString('utf8', pLenAt + 1, end) };
  return { kind: 'ok', value, consumed: end };
}

/** RFC 1929 §2: VER | STATUS; any non-zero STATUS is failure and the server MUST then close. */
export function encodeAuthReply(ok: boolean): Buffer {
  return ok ? AUTH_OK : AUTH_FAILED;
}

/**
 * RFC 1928 §4: VER | CMD | RSV | ATYP | DST.ADDR | DST.PORT. BIND and UDP ASSOCIATE decode fine
 * (the caller answers X'07' with a full reply); only a CMD outside 1..3 is 'bad_command'. Errors
 * are reported as soon as the offending byte arrives, without waiting for the rest of the frame.
 */
export function decodeRequest(buf: Buffer): DecodeResult<SocksRequest> {
  if (buf.length < 1) return INCOMPLETE;
  const ver = buf.readUInt8(0);
  if (ver !== SOCKS_VERSION) return fail('bad_version', `request version ${hex(ver)}`);
  if (buf.length < 2) return INCOMPLETE;
  const cmd = buf.readUInt8(1);
  if (cmd !== Command.CONNECT && cmd !== Command.BIND && cmd !== Command.UDP_ASSOCIATE) {
    return fail('bad_command', `CMD ${hex(cmd)}`);
  }
  if (buf.length < 3) return INCOMPLETE;
  // RFC 1928 §6: RSV must be X'00'. Insisting on it from clients catches a stream that is not
  // SOCKS5 at all before its bytes are taken for an address.
  if (buf.readUInt8(2) !== 0x00) return fail('bad_frame', 'RSV is not 0');
  const addr = decodeAddress(buf, 3);
  if (addr.kind !== 'ok') return addr;
  return { kind: 'ok', value: { cmd, ...addr.value }, consumed: addr.consumed };
}

/**
 * RFC 1928 §6 reply, always in full: a failure reply still carries ATYP, BND.ADDR and BND.PORT,
 * and clients read exactly that many bytes, so the default bind is IPv4 0.0.0.0:0 (10 bytes; 22
 * with an IPv6 bind). swivel tunnels through upstream proxies, so there is no local bound address
 * worth reporting on success either.
 */
export function encodeReply(rep: number, bind?: BindAddress): Buffer {
  if (bind === undefined) {
    const cached = DEFAULT_BIND_REPLIES[rep];
    if (cached !== undefined) return cached;
    const reply = encodeBoundReply(rep, { atyp: AddressType.IPV4, host: '0.0.0.0', port: 0 });
    if (rep >= 0 && rep <= 0x08) DEFAULT_BIND_REPLIES[rep] = reply;
    return reply;
  }
  return encodeBoundReply(rep, bind);
}

function encodeBoundReply(rep: number, bind: BindAddress): Buffer {
  const addr = bind.atyp === AddressType.IPV4 ? parseIPv4(bind.host) : parseIPv6(bind.host);
  if (addr === null) throw new SwivelError('internal', 'bind address does not match its ATYP', { details: { bind } });
  return frame(SOCKS_VERSION, byte(rep, 'rep'), bind.atyp, addr, port(bind.port, 'internal'));
}

// ---- client side: swivel as a SOCKS5 client of an upstream, and the tests' peer ----

/** RFC 1928 §3: VER | NMETHODS | METHODS. */
export function encodeGreeting(methods: readonly number[]): Buffer {
  if (methods.length < 1 || methods.length > 255) {
    throw new SwivelError('internal', `a greeting offers 1..255 methods, got ${methods.length}`);
  }
  return Buffer.from([SOCKS_VERSION, methods.length, ...methods.map((m) => byte(m, 'method'))]);
}

/** RFC 1928 §3: the server's VER | METHOD answer to a greeting. */
export function decodeMethodSelection(buf: Buffer): DecodeResult<{ method: number }> {
  const r = decodePair(buf, SOCKS_VERSION, 'method selection');
  return r.kind === 'ok' ? { kind: 'ok', value: { method: r.value }, consumed: 2 } : r;
}

/** RFC 1929 §2 request. Lengths are UTF-8 byte counts; an empty password is allowed (see decoder). */
export function encodeAuthRequest(username: string, password: string): Buffer {
  const user = Buffer.from(username, 'utf8');
  const pass = Buffer.from(password, 'utf8');
  if (user.length < 1 || user.length > 255) throw new SwivelError('bad_request', `username must be 1..255 bytes, got ${user.length}`);
  if (pass.length > 255) throw new SwivelError('bad_request', `password must be at most 255 bytes, got ${pass.length}`);
  return Buffer.concat([Buffer.from([AUTH_VERSION, user.length]), user, Buffer.from([pass.length]), pass]);
}

/** RFC 1929 §2 server answer: STATUS X'00' is success, anything else failure. */
export function decodeAuthReply(buf: Buffer): DecodeResult<{ ok: boolean; status: number }> {
  const r = decodePair(buf, AUTH_VERSION, 'auth reply');
  return r.kind === 'ok' ? { kind: 'ok', value: { ok: r.value === 0x00, status: r.value }, consumed: 2 } : r;
}

/** VER | one value byte: the shape of both short server answers. */
function decodePair(buf: Buffer, version: number, what: string): DecodeResult<number> {
  if (buf.length < 1) return INCOMPLETE;
  const ver = buf.readUInt8(0);
  if (ver !== version) return fail('bad_version', `${what} version ${hex(ver)}`);
  return buf.length < 2 ? INCOMPLETE : { kind: 'ok', value: buf.readUInt8(1), consumed: 2 };
}

/**
 * RFC 1928 §4 request; ATYP follows the host: an IPv4 literal → X'01', an IPv6 literal (brackets
 * allowed, as URLs carry them) → X'04', anything else a domain → X'03'. Domains travel as latin1 so
 * that a name decoded by decodeRequest is forwarded byte for byte; IDNs must already be punycode.
 */
export function encodeRequest(req: { cmd: SocksCommand; host: string; port: number }): Buffer {
  const { atyp, addr } = hostToAddress(req.host);
  return frame(SOCKS_VERSION, byte(req.cmd, 'cmd'), atyp, addr, port(req.port, 'bad_request'));
}

/** RFC 1928 §6 reply as a client reads it. RSV is not checked: being strict about a reserved byte
 *  would only break tunnels through upstreams that are sloppy in a field nobody uses. */
export function decodeReply(buf: Buffer): DecodeResult<SocksReplyFrame> {
  if (buf.length < 1) return INCOMPLETE;
  const ver = buf.readUInt8(0);
  if (ver !== SOCKS_VERSION) return fail('bad_version', `reply version ${hex(ver)}`);
  if (buf.length < 3) return INCOMPLETE;
  const addr = decodeAddress(buf, 3);
  if (addr.kind !== 'ok') return addr;
  return { kind: 'ok', value: { rep: buf.readUInt8(1), ...addr.value }, consumed: addr.consumed };
}

/**
 * decodeReply without building BND.ADDR as a string (swivel, as a client, only needs REP and where
 * the frame ends): the same checks, the same 'incomplete' and 'error' answers.
 */
export function decodeReplyStatus(buf: Buffer): DecodeResult<number> {
  if (buf.length < 1) return INCOMPLETE;
  const ver = buf[0]!;
  if (ver !== SOCKS_VERSION) return fail('bad_version', `reply version ${hex(ver)}`);
  if (buf.length < 4) return INCOMPLETE;
  const atyp = buf[3]!;
  let end: number;
  if (atyp === AddressType.IPV4) end = 4 + 4;
  else if (atyp === AddressType.IPV6) end = 4 + 16;
  else if (atyp === AddressType.DOMAIN) {
    if (buf.length < 5) return INCOMPLETE;
    const len = buf[4]!;
    if (len === 0) return fail('bad_frame', 'domain name length is 0');
    end = 5 + len;
  } else return fail('bad_atyp', `ATYP ${hex(atyp)}`);
  if (buf.length < end + 2) return INCOMPLETE;
  return { kind: 'ok', value: buf[1]!, consumed: end + 2 };
}

// ---- addresses (RFC 1928 §5) ----

/** ATYP | ADDR | PORT starting at `at`; `consumed` is the absolute end offset. */
function decodeAddress(buf: Buffer, at: number): DecodeResult<SocksAddress> {
  if (buf.length < at + 1) return INCOMPLETE;
  const atyp = buf.readUInt8(at);
  let start = at + 1;
  let end: number;
  if (atyp === AddressType.IPV4) end = start + 4;
  else if (atyp === AddressType.IPV6) end = start + 16;
  else if (atyp === AddressType.DOMAIN) {
    if (buf.length < start + 1) return INCOMPLETE;
    const len = buf.readUInt8(start);
    if (len === 0) return fail('bad_frame', 'domain name length is 0');
    start += 1;
    end = start + len;
  } else return fail('bad_atyp', `ATYP ${hex(atyp)}`);
  if (buf.length < end + 2) return INCOMPLETE;
  const host =
    atyp === AddressType.IPV4
      ? `${buf[start]}.${buf[start + 1]}.${buf[start + 2]}.${buf[start + 3]}`
      : atyp === AddressType.IPV6
        ? formatIPv6(buf, start)
        : // §5: "no terminating NUL octet"; latin1 maps each octet to one char, so nothing is lost.
          buf.toString('latin1', start, end);
  return { kind: 'ok', value: { atyp, host, port: buf.readUInt16BE(end) }, consumed: end + 2 };
}

function hostToAddress(host: string): { atyp: SocksAddressType; addr: Buffer } {
  if (host.length > 1 && host.startsWith('[') && host.endsWith(']')) {
    const v6 = parseIPv6(host.slice(1, -1));
    if (v6 === null) throw new SwivelError('bad_request', `invalid bracketed IPv6 address \`${host}\``);
    return { atyp: AddressType.IPV6, addr: v6 };
  }
  const v4 = parseIPv4(host);
  if (v4 !== null) return { atyp: AddressType.IPV4, addr: v4 };
  const v6 = parseIPv6(host);
  if (v6 !== null) return { atyp: AddressType.IPV6, addr: v6 };
  const name = Buffer.from(host, 'latin1');
  // A round trip that changes the string means a char above U+00FF, which latin1 would mangle.
  if (name.length < 1 || name.length > 255 || name.toString('latin1') !== host) {
    throw new SwivelError(
      'bad_request',
      `a SOCKS5 domain must be 1..255 latin1 bytes, got \`${host.slice(0, 64)}\` (${host.length} chars)`,
    );
  }
  return { atyp: AddressType.DOMAIN, addr: Buffer.concat([Buffer.from([name.length]), name]) };
}

function frame(b0: number, b1: number, atyp: number, addr: Buffer, portNumber: number): Buffer {
  const out = Buffer.allocUnsafe(4 + addr.length + 2);
  out[0] = b0;
  out[1] = b1;
  out[2] = 0x00; // RSV, §4 and §6
  out[3] = atyp;
  addr.copy(out, 4);
  out.writeUInt16BE(portNumber, 4 + addr.length);
  return out;
}

function byte(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new SwivelError('internal', `${what} must be a byte, got \`${n}\``);
  return n;
}

function port(n: number, code: 'internal' | 'bad_request'): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new SwivelError(code, `Expected port to be 0..65535, got \`${n}\``);
  return n;
}
