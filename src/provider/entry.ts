/**
 * One endpoint entry → ParsedEndpoint. This is the inner loop of every extraction (100 000 entries
 * per answer is plausible), so it works on index ranges of the original string: one pass over the
 * characters, `charCodeAt` and `slice`, no regex, no split, no closures.
 *
 * Accepted shapes:
 *   host:port                  host:port:user:pass
 *   [v6]:port                  [v6]:port:user:pass
 *   user:pass@host:port        scheme://[user:pass@]host:port[/]   (scheme http, https, socks5, socks5h)
 * Only the URL form percent-decodes user and pass (WHATWG URL userinfo is percent-encoded).
 */
import { isDottedQuad, isIpv6Like } from '../protocol/ip.js';
import type { ParsedEndpoint } from './types.js';

const COLON = 58;
const AT = 64;
const SLASH = 47;
const QUESTION = 63;
const HASH = 35;
const DOT = 46;
const HYPHEN = 45;
const UNDERSCORE = 95;
const LBRACKET = 91;
const RBRACKET = 93;
const DEL = 127;

const MAX_HOST_LENGTH = 253;

export function parseEndpointEntry(entry: string): ParsedEndpoint | undefined {
  let start = 0;
  let end = entry.length;
  while (start < end && entry.charCodeAt(start) <= 32) start++;
  while (end > start && entry.charCodeAt(end - 1) <= 32) end--;
  return parseEndpointRange(entry, start, end);
}

/**
 * Parse `s[start, end)`, already trimmed. Exported for the text-body walker, which passes ranges of
 * the whole body so that no per-line string is made for lines that parse.
 */
export function parseEndpointRange(s: string, start: number, end: number): ParsedEndpoint | undefined {
  if (start >= end) return undefined;
  // One pass over the characters. Up to the first ':' we also check the host of the colon form
  // (the common case) as a DNS name or dotted quad, so it needs no second pass; after it we find the
  // other colons and the last '@' (lastIndexOf would scan back past `start` into a text body).
  // Whitespace and control characters anywhere reject the entry.
  let i = start;
  let at = -1;
  let nameOk = true; // letters, digits, '-', '.', '_'
  let numeric = true; // digits and dots only: must then be a dotted quad
  let quadOk = true;
  let dots = 0;
  let digits = 0;
  let octet = 0;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) quadOk = false;
      octet = octet * 10 + (c - 48);
    } else if (c === DOT) {
      if (digits === 0 || octet > 255) quadOk = false;
      dots++;
      digits = 0;
      octet = 0;
    } else if (c === COLON) {
      break;
    } else if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === HYPHEN || c === UNDERSCORE) {
      numeric = false;
    } else {
      if (c <= 32 || c === DEL) return undefined;
      if (c === AT) at = i;
      numeric = false;
      nameOk = false;
    }
  }
  const c1 = i < end ? i : -1;
  const hostLength = i - start;
  const hostOk =
    nameOk && hostLength > 0 && hostLength <= MAX_HOST_LENGTH && (!numeric || (quadOk && dots === 3 && digits > 0 && octet <= 255));

  let colons = c1 === -1 ? 0 : 1;
  let c2 = -1;
  let c3 = -1;
  for (i++; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === COLON) {
      if (colons === 1) c2 = i;
      else if (colons === 2) c3 = i;
      colons++;
    } else if (c === AT) {
      at = i;
    } else if (c <= 32 || c === DEL) {
      return undefined;
    }
  }

  if (c1 > start && c1 + 2 < end && s.charCodeAt(c1 + 1) === SLASH && s.charCodeAt(c1 + 2) === SLASH) {
    return parseUrlForm(s, start, c1, end, at);
  }
  if (at !== -1) {
    const endpoint = parseAuthority(s, start, end, at, false);
    // Not `user:pass@host:port`: the '@' may belong to a password in the colon form.
    if (endpoint !== undefined) return endpoint;
  }
  if (s.charCodeAt(start) === LBRACKET) return parseBracketedForm(s, start, end);

  // Colon form. A bare IPv6 address has at least two colons and, unless it spells all eight groups
  // (seven colons), an empty group from `::`: both are rejected here instead of guessed at.
  if (!hostOk) return undefined;
  let portEnd = end;
  if (colons === 3) {
    if (c3 + 1 >= end || c2 + 1 >= c3) return undefined;
    portEnd = c2;
  } else if (colons !== 1) {
    return undefined;
  }
  const port = parsePort(s, c1 + 1, portEnd);
  if (port === -1) return undefined;
  if (colons === 1) return { host: s.slice(start, c1), port };
  return { host: s.slice(start, c1), port, username: s.slice(c2 + 1, c3), password: s.slice(c3 + 1, end) };
}

function parseUrlForm(s: string, start: number, colon: number, end: number, at: number): ParsedEndpoint | undefined {
  if (!isProxyScheme(s, start, colon)) return undefined;
  const authStart = colon + 3;
  let authEnd = authStart;
  while (authEnd < end) {
    const c = s.charCodeAt(authEnd);
    if (c === SLASH || c === QUESTION || c === HASH) break;
    authEnd++;
  }
  // Nothing may follow the authority but a single '/': a proxy URL has no path or query.
  if (authEnd < end && !(authEnd + 1 === end && s.charCodeAt(authEnd) === SLASH)) return undefined;
  if (at >= authEnd) return undefined;
  if (at >= authStart) return parseAuthority(s, authStart, authEnd, at, true);
  return parseHostPort(s, authStart, authEnd);
}

function isProxyScheme(s: string, start: number, colon: number): boolean {
  const n = colon - start;
  if (n !== 4 && n !== 5 && n !== 6 && n !== 7) return false;
  const scheme = s.slice(start, colon).toLowerCase();
  return scheme === 'http' || scheme === 'https' || scheme === 'socks5' || scheme === 'socks5h';
}

/** `user[:pass]@host:port` within [start, end); `at` is the last '@' in the range. */
function parseAuthority(s: string, start: number, end: number, at: number, decode: boolean): ParsedEndpoint | undefined {
  let colon = -1;
  for (let i = start; i < at; i++) {
    if (s.charCodeAt(i) === COLON) {
      colon = i;
      break;
    }
  }
  const userEnd = colon === -1 ? at : colon;
  if (userEnd === start) return undefined;
  const endpoint = parseHostPort(s, at + 1, end);
  if (endpoint === undefined) return undefined;
  const username = decode ? percentDecode(s.slice(start, userEnd)) : s.slice(start, userEnd);
  if (username === undefined) return undefined;
  endpoint.username = username;
  if (colon !== -1) {
    const password = decode ? percentDecode(s.slice(colon + 1, at)) : s.slice(colon + 1, at);
    if (password === undefined) return undefined;
    endpoint.password = password;
  }
  return endpoint;
}

/** `host:port` or `[v6]:port` within [start, end), nothing else. */
function parseHostPort(s: string, start: number, end: number): ParsedEndpoint | undefined {
  if (start >= end) return undefined;
  if (s.charCodeAt(start) === LBRACKET) {
    const close = findBracket(s, start, end);
    if (close === -1 || close + 1 >= end || s.charCodeAt(close + 1) !== COLON) return undefined;
    return bracketedHostPort(s, start, close, end);
  }
  let colon = -1;
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) === COLON) {
      if (colon !== -1) return undefined; // bare IPv6, ambiguous
      colon = i;
    }
  }
  return colon === -1 ? undefined : hostPort(s, start, colon, end);
}

/** `[v6]:port` or `[v6]:port:user:pass` within [start, end). */
function parseBracketedForm(s: string, start: number, end: number): ParsedEndpoint | undefined {
  const close = findBracket(s, start, end);
  if (close === -1 || close + 1 >= end || s.charCodeAt(close + 1) !== COLON) return undefined;
  let p2 = -1;
  let p3 = -1;
  for (let i = close + 2; i < end; i++) {
    if (s.charCodeAt(i) !== COLON) continue;
    if (p2 === -1) p2 = i;
    else if (p3 === -1) p3 = i;
    else return undefined;
  }
  if (p2 === -1) return bracketedHostPort(s, start, close, end);
  if (p3 === -1 || p3 === p2 + 1 || p3 + 1 >= end) return undefined;
  const endpoint = bracketedHostPort(s, start, close, p2);
  if (endpoint === undefined) return undefined;
  endpoint.username = s.slice(p2 + 1, p3);
  endpoint.password = s.slice(p3 + 1, end);
  return endpoint;
}

function findBracket(s: string, start: number, end: number): number {
  for (let i = start + 1; i < end; i++) {
    if (s.charCodeAt(i) === RBRACKET) return i;
  }
  return -1;
}

/** `[` at open, `]` at close, ':' at close + 1, port up to end. */
function bracketedHostPort(s: string, open: number, close: number, end: number): ParsedEndpoint | undefined {
  if (!isIpv6Like(s, open + 1, close)) return undefined;
  const port = parsePort(s, close + 2, end);
  if (port === -1) return undefined;
  return { host: s.slice(open + 1, close), port };
}

/** Host in [start, colon), port in (colon, end). */
function hostPort(s: string, start: number, colon: number, end: number): ParsedEndpoint | undefined {
  if (!isHostName(s, start, colon)) return undefined;
  const port = parsePort(s, colon + 1, end);
  if (port === -1) return undefined;
  return { host: s.slice(start, colon), port };
}

/** 1..65535 written with 1 to 5 digits, else -1. */
export function parsePort(s: string, start: number, end: number): number {
  const n = end - start;
  if (n < 1 || n > 5) return -1;
  let port = 0;
  for (let i = start; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    port = port * 10 + d;
  }
  return port >= 1 && port <= 65535 ? port : -1;
}

/**
 * A DNS name or a dotted-quad IPv4 address: letters, digits, '-', '.', '_'. A name made only of
 * digits and dots must be a valid dotted quad, which also rejects the first group of a bare IPv6
 * address such as `2001:1:2:3`.
 */
export function isHostName(s: string, start: number, end: number): boolean {
  const n = end - start;
  if (n < 1 || n > MAX_HOST_LENGTH) return false;
  let numeric = true;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    if (c === DOT) continue;
    numeric = false;
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === HYPHEN || c === UNDERSCORE) continue;
    return false;
  }
  return !numeric || isDottedQuad(s, start, end);
}

function percentDecode(value: string): string | undefined {
  if (value.indexOf('%') === -1) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
